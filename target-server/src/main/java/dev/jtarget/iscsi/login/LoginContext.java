package dev.jtarget.iscsi.login;

import dev.jtarget.config.TargetConfig;

import java.util.List;

/** What the login layer needs from the session layer of one connection. */
public interface LoginContext {
    /** Every configured target. */
    List<TargetConfig> targets();

    /** The TPGT of the portal this connection arrived on. */
    int targetPortalGroupTag();

    /** TargetAddress values for SendTargets answers on this connection, e.g. {@code 127.0.0.1:3260,1}. */
    List<String> sendTargetsAddresses();

    /** The peer's address, for log lines. */
    String remoteAddress();

    /**
     * The login is about to enter full feature phase. Assigns the TSIH ({@code requestedTsih} 0 = new session,
     * reinstating an existing session with the same initiator name + ISID + target), or attaches to the existing
     * session with that TSIH. Returns the TSIH, or throws with the status to answer.
     */
    int admit(SessionParameters parameters, int requestedTsih) throws LoginRejectedException;
}
