package dev.jtarget.iscsi.login;

/**
 * A Text Request that breaks the protocol: the session answers it with a Reject PDU carrying {@link #reason()}
 * (RFC 7143 §11.17.1) instead of a Text Response.
 */
public final class TextRequestRejectedException extends RuntimeException {
    /** Reject reason 0x04: the request is malformed or out of sequence. */
    public static final int PROTOCOL_ERROR = 0x04;
    /** Reject reason 0x09: a header field (here the Target Transfer Tag) has an invalid value. */
    public static final int INVALID_PDU_FIELD = 0x09;

    private final int reason;

    public TextRequestRejectedException(int reason, String message) {
        super(message);
        this.reason = reason;
    }

    public int reason() {
        return reason;
    }
}
