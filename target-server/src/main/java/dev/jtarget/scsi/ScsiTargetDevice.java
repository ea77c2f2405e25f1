package dev.jtarget.scsi;

import java.util.concurrent.CompletableFuture;

/**
 * The SCSI side of one iSCSI target: its logical units, unit attentions and task management. The transport never
 * looks inside a CDB; it hands commands here and carries back what comes out.
 *
 * <p>Thread-safe: commands from many sessions arrive concurrently from Netty event loops. {@link #execute} must not
 * block the caller: backend I/O runs elsewhere and the future completes on whatever thread finished the work.
 */
public interface ScsiTargetDevice {

    /** Runs one command. The future never completes exceptionally: failures become CHECK CONDITION responses. */
    CompletableFuture<ScsiResponse> execute(ScsiCommand command);

    /** A new I_T nexus logged in; it starts with a POWER ON, RESET OR BUS DEVICE RESET OCCURRED unit attention. */
    void nexusLoggedIn(ItNexus nexus);

    /** The nexus logged out or its session ended. */
    void nexusLoggedOut(ItNexus nexus);

    /** LOGICAL UNIT RESET from {@code by}: every nexus, {@code by} too, gets a reset unit attention on that LUN. */
    void logicalUnitReset(ItNexus by, int lun);

    /** TARGET WARM or COLD RESET from {@code by}: every LUN is reset. */
    void targetReset(ItNexus by);

    /** True when {@code lun} exists (task management answers "LUN does not exist" otherwise). */
    boolean hasLun(int lun);

    /** Flushes every LUN to its backend (used on shutdown). */
    CompletableFuture<Void> flushAll();

    /** Closes every backend. */
    void close();
}
