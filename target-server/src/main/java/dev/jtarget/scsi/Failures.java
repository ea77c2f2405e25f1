package dev.jtarget.scsi;

import dev.jtarget.backend.BackendException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns whatever a command failed with into the sense an initiator acts on: a {@link CheckCondition} keeps its sense,
 * a backend error maps by kind, anything else is a bug reported as INTERNAL TARGET FAILURE.
 */
final class Failures {
    private static final Logger log = LoggerFactory.getLogger(Failures.class);

    private static final long NO_SPACE_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final AtomicLong lastNoSpaceWarning = new AtomicLong(System.nanoTime()
            - NO_SPACE_WARNING_INTERVAL_NANOS);

    private Failures() {
    }

    /** Whether this out-of-space failure is the one to log as a warning (at most one per interval). */
    private static boolean noSpaceWarningDue() {
        long now = System.nanoTime();
        long last = lastNoSpaceWarning.get();
        return now - last >= NO_SPACE_WARNING_INTERVAL_NANOS && lastNoSpaceWarning.compareAndSet(last, now);
    }

    static Sense toSense(Throwable failure, ScsiCommand command) {
        Throwable cause = unwrap(failure);
        if (cause instanceof CheckCondition checkCondition) {
            return checkCondition.sense();
        }
        if (cause instanceof BackendException backend) {
            Sense sense = switch (backend.kind()) {
                case READ_ERROR -> Sense.UNRECOVERED_READ_ERROR;
                case WRITE_ERROR -> Sense.WRITE_ERROR;
                case NO_SPACE -> Sense.SPACE_ALLOCATION_FAILED;
                // NOT READY / LOGICAL UNIT IS IN PROCESS OF BECOMING READY: initiators retry it (sd, Windows).
                case NOT_READY -> Sense.BECOMING_READY;
                case READ_ONLY -> Sense.WRITE_PROTECTED;
                // The SCSI layer checks ranges before calling the backend, so this is a bug on our side.
                case OUT_OF_RANGE -> Sense.INTERNAL_TARGET_FAILURE;
            };
            if (backend.kind() == BackendException.Kind.NO_SPACE && !noSpaceWarningDue()) {
                // A full disk fails writes by the thousand: a warning every few seconds says enough.
                log.debug("LUN {} opcode {}h task {}: no space ({}): {}", command.lun(),
                        Integer.toHexString(command.opcode()), Integer.toHexString(command.taskTag()), sense,
                        backend.getMessage());
            } else {
                log.warn("LUN {} opcode {}h task {}: backend failed ({}): {}", command.lun(),
                        Integer.toHexString(command.opcode()), Integer.toHexString(command.taskTag()), sense,
                        backend.getMessage());
            }
            return sense;
        }
        log.error("LUN {} opcode {}h task {}: internal failure", command.lun(),
                Integer.toHexString(command.opcode()), Integer.toHexString(command.taskTag()), cause);
        return Sense.INTERNAL_TARGET_FAILURE;
    }

    /** The failure itself, out of the CompletionException or ExecutionException wrapping it. */
    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
