package dev.jtarget.backend;

import dev.jtarget.backend.BackendException.Kind;

/**
 * The checks every backend makes before it queues a request, so that each refuses the same requests in the same
 * words: a range outside the backend, a range not made of whole blocks of the storage, a write to a read-only one.
 * Each returns the failure to report, or null when the request may go ahead.
 */
public final class RequestChecks {
    private RequestChecks() {
    }

    /**
     * @param alignment the storage's block: requests must start and end on it (1 for none)
     */
    public static BackendException range(String operation, long offset, long length, long sizeBytes, long alignment,
                                         String description) {
        // Written as a subtraction so that offset + length cannot overflow past Long.MAX_VALUE.
        if (offset < 0 || length < 0 || offset > sizeBytes || length > sizeBytes - offset) {
            return new BackendException(Kind.OUT_OF_RANGE, operation + " " + offset + "+" + length + " lies outside "
                    + description + " (" + sizeBytes + " bytes)");
        }
        if (offset % alignment != 0 || length % alignment != 0) {
            return new BackendException(Kind.OUT_OF_RANGE, operation + " " + offset + "+" + length
                    + " is not aligned to the " + alignment + "-byte blocks of " + description);
        }
        return null;
    }

    /** {@link #range}, after refusing any change to a read-only backend. */
    public static BackendException writable(String operation, long offset, long length, long sizeBytes,
                                            long alignment, boolean readOnly, String description) {
        if (readOnly) {
            return new BackendException(Kind.READ_ONLY, operation + " refused: " + description + " is read-only");
        }
        return range(operation, offset, length, sizeBytes, alignment, description);
    }
}
