package dev.jtarget.scsi;

import java.util.concurrent.CompletableFuture;

/**
 * Runs one kind of command. It may throw {@link CheckCondition} while validating, and its future may fail with a
 * {@link CheckCondition} or a backend error; the dispatcher turns either into sense data.
 */
@FunctionalInterface
interface CommandHandler {
    CompletableFuture<ScsiResponse> execute(Request request);
}
