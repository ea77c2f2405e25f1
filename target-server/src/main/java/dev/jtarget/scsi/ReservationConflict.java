package dev.jtarget.scsi;

/**
 * Ends a command with RESERVATION CONFLICT status (SPC-4 §5.9): another I_T nexus's reservation forbids it, or a
 * PERSISTENT RESERVE OUT came from a nexus that is not registered or gave the wrong reservation key. It carries no
 * sense data; the dispatcher turns it into the status. It is control flow, so it has no stack trace.
 */
final class ReservationConflict extends RuntimeException {
    ReservationConflict() {
        super("RESERVATION CONFLICT", null, false, false);
    }
}
