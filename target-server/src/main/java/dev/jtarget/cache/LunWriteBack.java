package dev.jtarget.cache;

import dev.jtarget.backend.BackendException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LUN's write-back progress: settles finished {@link FlushBatch}es, keeps failed data pinned and backs off while
 * the backend fails, and tells the flushers when the LUN needs them. Guarded by the LUN's lock except
 * {@link #complete}, which takes it.
 */
final class LunWriteBack {
    private static final Logger log = LoggerFactory.getLogger(LunWriteBack.class);

    private final LunCache lun;
    private final PageTable table;
    private int consecutiveFailures;
    private long retryAtNanos;
    long flushedBytes;
    long flushWrites;
    long backendErrors;

    LunWriteBack(LunCache lun) {
        this.lun = lun;
        this.table = lun.table;
    }

    /**
     * Settles a finished batch: written pages leave the cache, failed ones stay pinned and go back on the dirty list
     * for a retry after a backoff, and old copies make way for the newer copies blocked behind them.
     */
    void complete(FlushBatch batch) {
        Outbox outbox = new Outbox();
        lun.lock.lock();
        try {
            for (int i = 0; i < batch.pageCount(); i++) {
                int page = batch.page(i);
                boolean failed = batch.failed(i);
                table.clear(page, PageTable.IN_FLIGHT);
                if (failed) {
                    lun.waiters.writeBackFailedLocked(table.lunPage(page), table.epoch(page), batch.failure(), outbox);
                }
                if (table.has(page, PageTable.DETACHED)) {
                    settleDetachedLocked(page, failed, outbox);
                } else if (failed) {
                    lun.markFailedLocked(page, true);
                    lun.dirty.append(page);
                } else {
                    lun.releaseLocked(page, outbox);
                }
            }
            flushedBytes += batch.bytesWritten();
            flushWrites += batch.writeCount();
            recordOutcomeLocked(batch);
            if (lun.abandoned) {
                lun.releaseSettledLocked(outbox);
            }
            lun.waiters.evaluateLocked(outbox);
            if (lun.waiters.urgentLocked() || lun.dirty.size() > 0) {
                outbox.wakeFlushers();
            }
        } finally {
            lun.lock.unlock();
        }
        outbox.run(lun.cache);
        batch.done().complete(null);
    }

    /** An old copy's write finished; the newer copy in the index may now be written back in its turn. */
    private void settleDetachedLocked(int old, boolean failed, Outbox outbox) {
        int successor = lun.index.get(table.lunPage(old));
        if (failed) {
            // The copy holds the old data too, so it now carries the old data's epoch, age and failure.
            lun.epochs.decrement(table.epoch(successor));
            table.epoch(successor, table.epoch(old));
            table.dirtySince(successor, Math.min(table.dirtySince(old), table.dirtySince(successor)));
            lun.markFailedLocked(successor, true);
        } else {
            lun.epochs.decrement(table.epoch(old));
        }
        lun.markFailedLocked(old, false);
        lun.freeLocked(old, outbox);
        table.clear(successor, PageTable.BLOCKED);
        lun.dirty.append(successor);
    }

    private void recordOutcomeLocked(FlushBatch batch) {
        int failedWrites = batch.failedWrites();
        if (failedWrites > 0) {
            backendErrors += failedWrites;
            BackendException error = Failures.asBackendException(batch.failure(), BackendException.Kind.WRITE_ERROR);
            consecutiveFailures++;
            retryAtNanos = System.nanoTime() + backoffNanos();
            if (consecutiveFailures == 1) {
                log.warn("{}: write-back to {} failed ({}); {} pages pinned, retrying with backoff up to {} ms",
                        lun.name, lun.backend.describe(), error.getMessage(), lun.failedPages,
                        lun.tuning.retryBackoffMax().toMillis());
            }
        } else if (consecutiveFailures > 0 && lun.failedPages == 0) {
            log.info("{}: write-back to {} works again after {} failed attempts", lun.name, lun.backend.describe(),
                    consecutiveFailures);
            consecutiveFailures = 0;
        }
    }

    /** Doubles from the minimum per consecutive failure, up to the maximum. */
    private long backoffNanos() {
        long max = lun.tuning.retryBackoffMax().toNanos();
        long backoff = Math.max(1, lun.tuning.retryBackoffMin().toNanos());
        for (int i = 1; i < consecutiveFailures && backoff < max; i++) {
            backoff *= 2;
        }
        return Math.min(backoff, max);
    }

    /** Whether write-back of this LUN pauses after failures (flushers skip it until the backoff ends). */
    boolean backingOffLocked(long now) {
        return consecutiveFailures > 0 && retryAtNanos - now > 0;
    }

    /** Ends the backoff: a SYNCHRONIZE CACHE retries pinned data at once. */
    void retryNowLocked() {
        retryAtNanos = System.nanoTime();
    }

    /** When this LUN wants a flusher next without being woken: its oldest data expires or its backoff ends. */
    long nextDueLocked(long now) {
        if (lun.dirty.size() == 0) {
            return Long.MAX_VALUE;
        }
        if (backingOffLocked(now)) {
            return retryAtNanos - now;
        }
        return table.dirtySince(lun.dirty.head()) + lun.tuning.dirtyExpire().toNanos() - now;
    }

    /** Why a flusher should write this LUN back now, or null. */
    FlushBatch.Mode flushModeLocked(long now, boolean aboveBackground) {
        if (lun.dirty.size() == 0 || backingOffLocked(now)) {
            return null;
        }
        if (lun.waiters.urgentLocked()) {
            return FlushBatch.Mode.URGENT;
        }
        if (now - table.dirtySince(lun.dirty.head()) >= lun.tuning.dirtyExpire().toNanos()) {
            return FlushBatch.Mode.EXPIRED;
        }
        return aboveBackground ? FlushBatch.Mode.BACKGROUND : null;
    }

    /** How long this LUN's oldest waiting data has been dirty, for choosing between LUNs. */
    long oldestAgeLocked(long now) {
        return lun.dirty.size() == 0 ? 0 : now - table.dirtySince(lun.dirty.head());
    }
}
