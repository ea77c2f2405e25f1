package dev.jtarget.cache;

import dev.jtarget.backend.BackendException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What waits on one LUN's write-back: SYNCHRONIZE CACHE requests, FUA writes that landed on cached data, and discards
 * or write-zeroes passed through to the backend. Re-evaluated under the LUN's lock whenever a write-back or a
 * passed-through request finishes.
 *
 * <ul>
 *   <li>A <b>flush</b> waits until no dirty page of its epoch or older is left, then flushes the backend (SBC-3 5.22:
 *       SYNCHRONIZE CACHE makes every write completed before it durable).</li>
 *   <li>A <b>range</b> wait (a FUA write over cached data) waits until the pages of its range from its epoch or older are
 *       written back — it writes them itself rather than waiting for the flushers — then flushes the backend.</li>
 *   <li>A <b>pass-through</b> drops the cached blocks of its range and hands the request to the backend, but only once
 *       no write-back of that range is in flight, so old data can never land on top of a discard. Until it finishes,
 *       flushers leave its range alone and reads of it wait (they could otherwise see data older than the dropped
 *       blocks). Dropped data counts as pending for flush and range waits until the pass-through has finished: the
 *       backend then holds the discard, not yet the data, so a sync in between would make neither durable.</li>
 * </ul>
 *
 * A write-back failure fails every flush and range wait that needed the failed data.
 */
final class SyncWaiters {
    private final LunCache lun;
    private final List<FlushWaiter> flushes = new ArrayList<>();
    private final List<RangeWaiter> ranges = new ArrayList<>();
    private final List<Passthrough> passthroughs = new ArrayList<>();

    private record FlushWaiter(long epoch, CompletableFuture<Void> future) {
    }

    private record RangeWaiter(long from, long to, long epoch, CompletableFuture<Void> future) {
    }

    /** A discard or write-zeroes on its way to the backend. */
    static final class Passthrough {
        final long from;
        final long to;
        private final Supplier<CompletableFuture<Void>> operation;
        /** Completes (after the LUN forgot it) when the backend answered; reads of the range wait for it. */
        final CompletableFuture<Void> finished = new CompletableFuture<>();
        /** What the caller gets: the backend's answer. */
        final CompletableFuture<Void> result = new CompletableFuture<>();
        private boolean issued;
        /** The oldest epoch of the cached data this pass-through dropped. */
        private long droppedEpoch = Long.MAX_VALUE;

        private Passthrough(long from, long to, Supplier<CompletableFuture<Void>> operation) {
            this.from = from;
            this.to = to;
            this.operation = operation;
        }
    }

    SyncWaiters(LunCache lun) {
        this.lun = lun;
    }

    /** Flushers give LUNs with waiting flushes (or a pending close) priority over everything else. */
    boolean urgentLocked() {
        return !flushes.isEmpty() || lun.closing;
    }

    boolean passthroughsInFlightLocked() {
        return !passthroughs.isEmpty();
    }

    CompletableFuture<Void> addFlushLocked(Outbox outbox) {
        long epoch = lun.currentEpoch++;
        if (lun.failedPages > 0) {
            lun.writeBack.retryNowLocked(); // a SYNCHRONIZE CACHE retries pinned data at once instead of after the backoff
        }
        FlushWaiter waiter = new FlushWaiter(epoch, new CompletableFuture<>());
        flushes.add(waiter);
        evaluateLocked(outbox);
        outbox.wakeFlushers();
        return waiter.future;
    }

    CompletableFuture<Void> addRangeLocked(long from, long to, Outbox outbox) {
        RangeWaiter waiter = new RangeWaiter(from, to, lun.currentEpoch++, new CompletableFuture<>());
        ranges.add(waiter);
        evaluateLocked(outbox);
        return waiter.future;
    }

    Passthrough addPassthroughLocked(long from, long to, Supplier<CompletableFuture<Void>> operation,
                                     Outbox outbox) {
        Passthrough passthrough = new Passthrough(from, to, operation);
        passthroughs.add(passthrough);
        evaluateLocked(outbox);
        return passthrough;
    }

    /** A pass-through in flight that touches {@code [from, to)}, or null. */
    Passthrough overlappingLocked(long from, long to) {
        for (Passthrough passthrough : passthroughs) {
            if (passthrough.from < to && from < passthrough.to) {
                return passthrough;
            }
        }
        return null;
    }

    /** Whether a pass-through keeps flushers off {@code page} for now. */
    boolean holdsLocked(int page) {
        if (passthroughs.isEmpty()) {
            return false;
        }
        long start = lun.table.lunPage(page) << lun.pageShift;
        return overlappingLocked(start, start + lun.pageSize) != null;
    }

    void evaluateLocked(Outbox outbox) {
        for (Passthrough passthrough : passthroughs) {
            if (!passthrough.issued && !lun.writeBackInFlightLocked(passthrough.from, passthrough.to)) {
                passthrough.droppedEpoch = lun.dropRangeLocked(passthrough.from, passthrough.to, outbox);
                passthrough.issued = true;
                outbox.later(() -> issue(passthrough));
            }
        }
        for (Iterator<FlushWaiter> it = flushes.iterator(); it.hasNext(); ) {
            FlushWaiter waiter = it.next();
            if (lun.epochs.oldest() > waiter.epoch && !droppedInFlightLocked(waiter.epoch, 0, Long.MAX_VALUE)) {
                it.remove();
                outbox.later(() -> flushBackendThenComplete(waiter.future));
            }
        }
        for (Iterator<RangeWaiter> it = ranges.iterator(); it.hasNext(); ) {
            RangeWaiter waiter = it.next();
            int[] pages = lun.pagesInRangeLocked(waiter.from, waiter.to);
            int[] writable = new int[pages.length];
            int count = 0;
            boolean waiting = false;
            for (int page : pages) {
                if (lun.table.epoch(page) <= waiter.epoch || lun.table.has(page, PageTable.BLOCKED)) {
                    waiting = true;
                    if (lun.table.has(page, PageTable.LISTED) && !holdsLocked(page)) {
                        writable[count++] = page;
                    }
                }
            }
            if (!waiting && !droppedInFlightLocked(waiter.epoch, waiter.from, waiter.to)) {
                it.remove();
                outbox.later(() -> flushBackendThenComplete(waiter.future));
            } else if (count > 0) {
                FlushBatch batch = FlushBatch.takePagesLocked(lun, writable, count);
                outbox.later(batch::issue);
            }
        }
    }

    /** Data of {@code lunPage} from {@code epoch} failed to reach the backend: fail whoever waits for it. */
    void writeBackFailedLocked(long lunPage, long epoch, Throwable cause, Outbox outbox) {
        BackendException error = null;
        for (Iterator<FlushWaiter> it = flushes.iterator(); it.hasNext(); ) {
            FlushWaiter waiter = it.next();
            if (waiter.epoch >= epoch) {
                it.remove();
                error = error != null ? error : deferredError(cause);
                fail(waiter.future, error, outbox);
            }
        }
        long start = lunPage << lun.pageShift;
        for (Iterator<RangeWaiter> it = ranges.iterator(); it.hasNext(); ) {
            RangeWaiter waiter = it.next();
            if (waiter.epoch >= epoch && waiter.from < start + lun.pageSize && start < waiter.to) {
                it.remove();
                error = error != null ? error : deferredError(cause);
                fail(waiter.future, error, outbox);
            }
        }
    }

    /** Fails every waiter (a LUN closed with data it could not write back). */
    void failAllLocked(BackendException error, Outbox outbox) {
        flushes.forEach(waiter -> fail(waiter.future, error, outbox));
        flushes.clear();
        ranges.forEach(waiter -> fail(waiter.future, error, outbox));
        ranges.clear();
    }

    private BackendException deferredError(Throwable cause) {
        BackendException backendError = Failures.asBackendException(cause, BackendException.Kind.WRITE_ERROR);
        // Out of space stays out of space, so SYNCHRONIZE CACHE reports SPACE ALLOCATION FAILED, not a medium error.
        BackendException.Kind kind = backendError.kind() == BackendException.Kind.NO_SPACE
                ? BackendException.Kind.NO_SPACE : BackendException.Kind.WRITE_ERROR;
        return new BackendException(kind, lun.name + ": acknowledged writes could not "
                + "be written back to " + lun.backend.describe() + " (" + backendError.getMessage()
                + "); they stay cached and are retried", backendError);
    }

    private static void fail(CompletableFuture<Void> future, BackendException error, Outbox outbox) {
        outbox.later(() -> future.completeExceptionally(error));
    }

    /** Whether a pass-through still in flight dropped cached data of {@code epoch} or older in {@code [from, to)}. */
    private boolean droppedInFlightLocked(long epoch, long from, long to) {
        for (Passthrough passthrough : passthroughs) {
            if (passthrough.droppedEpoch <= epoch && passthrough.from < to && from < passthrough.to) {
                return true;
            }
        }
        return false;
    }

    private void issue(Passthrough passthrough) {
        Failures.call(passthrough.operation).whenComplete((ignored, failure) -> {
            Outbox outbox = new Outbox();
            lun.lock.lock();
            try {
                passthroughs.remove(passthrough);
                evaluateLocked(outbox);
                outbox.wakeFlushers(); // pages of its range written meanwhile may be written back now
            } finally {
                lun.lock.unlock();
            }
            passthrough.finished.complete(null);
            outbox.run(lun.cache);
            if (failure == null) {
                passthrough.result.complete(null);
            } else {
                passthrough.result.completeExceptionally(
                        Failures.asBackendException(failure, BackendException.Kind.WRITE_ERROR));
            }
        });
    }

    /** Completes {@code future} once the backend made what it holds durable, if it needs telling. */
    private void flushBackendThenComplete(CompletableFuture<Void> future) {
        if (!lun.backend.capabilities().needsFlush()) {
            future.complete(null);
            return;
        }
        Failures.call(lun.backend::flush).whenComplete((ignored, failure) -> {
            if (failure == null) {
                future.complete(null);
            } else {
                future.completeExceptionally(Failures.asBackendException(failure, BackendException.Kind.WRITE_ERROR));
            }
        });
    }
}
