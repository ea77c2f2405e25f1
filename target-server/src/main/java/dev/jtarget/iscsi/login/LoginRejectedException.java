package dev.jtarget.iscsi.login;

/**
 * The login cannot proceed: the target answers with a Login Response carrying this status and closes the
 * connection (RFC 7143 §6.10 / §11.13.5). The reason goes to the log only, never onto the wire.
 */
public final class LoginRejectedException extends Exception {
    private final int statusClass;
    private final int statusDetail;

    public LoginRejectedException(int statusClass, int statusDetail, String reason) {
        super(reason);
        this.statusClass = statusClass;
        this.statusDetail = statusDetail;
    }

    public LoginRejectedException(LoginStatus status, String reason) {
        this(status.statusClass(), status.statusDetail(), reason);
    }

    public int statusClass() {
        return statusClass;
    }

    public int statusDetail() {
        return statusDetail;
    }
}
