package dev.jtarget.cache;

import dev.jtarget.backend.BackendException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns whatever a backend future failed with into the {@link BackendException} the SCSI layer expects. */
final class Failures {
    private Failures() {
    }

    static BackendException asBackendException(Throwable failure, BackendException.Kind kindIfUnknown) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof BackendException backendException) {
            return backendException;
        }
        return new BackendException(kindIfUnknown, String.valueOf(cause.getMessage()), cause);
    }

    /** Calls {@code operation}, turning a synchronous throw (a backend bug) into a failed future. */
    static CompletableFuture<Void> call(java.util.function.Supplier<CompletableFuture<Void>> operation) {
        try {
            return operation.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
