package dev.jtarget.iscsi.login;

import dev.jtarget.iscsi.pdu.Pdu;

/**
 * The Login Response to send and what happens next: CONTINUE the login, COMPLETE (enter full feature phase after
 * sending) or FAILED (close the connection after sending). The receiver owns {@code response}.
 */
public record LoginOutcome(Pdu response, Kind kind) {
    public enum Kind {
        CONTINUE,
        COMPLETE,
        FAILED
    }
}
