package dev.jtarget.iscsi.login;

/** RFC 7143 §13.21: a Discovery session only issues SendTargets; a Normal session reaches one target's LUNs. */
public enum SessionType {
    NORMAL,
    DISCOVERY
}
