package dev.jtarget.backend;

/**
 * What a backend can do, so the SCSI layer advertises only what is true (thin provisioning bits, write cache).
 *
 * @param canDiscard         discard really deallocates (or at least is accepted)
 * @param discardReadsZeros  discarded blocks read back as zeros (SCSI LBPRZ)
 * @param needsFlush         completed writes are not durable until {@link BlockBackend#flush()} (volatile cache below)
 * @param readOnly           writes are refused
 */
public record BackendCapabilities(boolean canDiscard, boolean discardReadsZeros, boolean needsFlush, boolean readOnly) {
}
