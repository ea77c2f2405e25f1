package dev.jtarget.backend;

/** A backend failure typed by what the initiator should be told about it. */
public final class BackendException extends RuntimeException {

    /** The SCSI layer maps each kind to its own sense data. */
    public enum Kind {
        /** The medium could not read the blocks (MEDIUM ERROR / UNRECOVERED READ ERROR). */
        READ_ERROR,
        /** The medium could not write the blocks (MEDIUM ERROR / WRITE ERROR). */
        WRITE_ERROR,
        /** The backing store is full (DATA PROTECT / SPACE ALLOCATION FAILED - WRITE PROTECT). */
        NO_SPACE,
        /** The backend is temporarily unreachable; the initiator should retry (NOT READY). */
        NOT_READY,
        /** The request lies outside the backend (a caller bug: the SCSI layer checks ranges first). */
        OUT_OF_RANGE,
        /** The backend refuses writes. */
        READ_ONLY
    }

    private final Kind kind;

    public BackendException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public BackendException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
