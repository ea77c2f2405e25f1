package dev.jtarget.cache;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LUN's backend seen through the write-back cache (made by {@link WriteBackCache#attach}). It keeps the
 * {@link BlockBackend} contract the SCSI layer relies on:
 *
 * <ul>
 *   <li>{@code write(..., fua=false)} (WCE=1): the data is copied into the arena — the one copy, straight from the
 *       caller's buffers — and the future completes at once (later when the arena is nearly full or full).</li>
 *   <li>{@code write(..., fua=true)} (FUA, or WCE=0): the data and any older cached data of those blocks are durable on
 *       the backend before the future completes. With nothing of the range cached the write goes straight through;
 *       otherwise it goes into the cache and that range is written back and flushed, so it can never be overtaken by
 *       older cached data.</li>
 *   <li>{@code flush()} (SYNCHRONIZE CACHE): every write completed before the call is written back and the backend
 *       flushed before the future completes.</li>
 *   <li>{@code read}: cached blocks overlay the backend's, so a read returns the last acknowledged data.</li>
 *   <li>{@code discard} / {@code writeZeroes}: the cached blocks of the range are dropped, after any write-back of them
 *       in flight, and the request goes to the backend.</li>
 * </ul>
 *
 * When write-back fails, the data stays cached and is retried with backoff; every flush or FUA write that needs it
 * fails with {@link Kind#WRITE_ERROR} ({@link Kind#NO_SPACE} when the backend is full) until the backend takes it.
 * No method blocks its caller except {@link #close()}. Write futures must not be cancelled: the cache reads the
 * caller's buffers until the future completes.
 */
public final class CachedBackend implements BlockBackend {
    private static final Logger log = LoggerFactory.getLogger(CachedBackend.class);
    /** Most arena pages one write takes in one step; larger writes are copied in over several steps. */
    private static final int MAX_PAGES_PER_STEP = 1 << 14;

    private final WriteBackCache cache;
    private final LunCache lun;
    private final BlockBackend backend;
    private final BufferArena arena;
    private final BackendCapabilities capabilities;
    private final AtomicBoolean closed = new AtomicBoolean();

    CachedBackend(WriteBackCache cache, LunCache lun) {
        this.cache = cache;
        this.lun = lun;
        this.backend = lun.backend;
        this.arena = cache.arena();
        BackendCapabilities below = backend.capabilities();
        // The cache is a volatile write cache: plain writes are not durable until flush(), whatever lies below.
        this.capabilities = new BackendCapabilities(below.canDiscard(), below.discardReadsZeros(), true,
                below.readOnly());
    }

    @Override
    public long sizeBytes() {
        return lun.sizeBytes;
    }

    @Override
    public int blockSize() {
        return lun.blockSize;
    }

    @Override
    public BackendCapabilities capabilities() {
        return capabilities;
    }

    @Override
    public String describe() {
        return "write-back cache over " + backend.describe();
    }

    /** This LUN's cache statistics. */
    public CacheStatistics statistics() {
        lun.lock.lock();
        try {
            return lun.statisticsLocked(System.nanoTime());
        } finally {
            lun.lock.unlock();
        }
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        long length = 0;
        for (ByteBuffer source : sources) {
            length += source.remaining();
        }
        CompletableFuture<Void> invalid = checkRange(offset, length);
        if (invalid != null || length == 0) {
            return invalid != null ? invalid : CompletableFuture.completedFuture(null);
        }
        if (capabilities.readOnly()) {
            return CompletableFuture.failedFuture(new BackendException(Kind.READ_ONLY, lun.name + " is read-only"));
        }
        boolean writeThrough = false;
        PendingWrite pending = null;
        Outbox outbox = null;
        CompletableFuture<Void> synced = null;
        long delay = 0;
        lun.lock.lock();
        try {
            if (lun.closing) {
                return closingFailure();
            }
            lun.writes++;
            if (fua && !lun.anyCachedLocked(offset, length)) {
                writeThrough = true;
                lun.writeThroughs++;
            } else {
                int need = lun.pagesNeededLocked(offset, length);
                int[] fresh = lun.scratchLocked(Math.min(need, MAX_PAGES_PER_STEP));
                // Writes needing no new page (overwrites of dirty data) may pass waiting writers: they take nothing.
                if ((need == 0 || cache.waitingWriters().isEmpty()) && need <= MAX_PAGES_PER_STEP
                        && arena.allocate(need, fresh)) {
                    lun.applyLocked(offset, sources, 0, length, fresh);
                    if (fua) {
                        outbox = new Outbox();
                        synced = lun.waiters.addRangeLocked(offset, offset + length, outbox);
                    } else {
                        delay = cache.throttleDelayNanos();
                        if (delay > 0) {
                            lun.writersThrottled++;
                        }
                    }
                } else {
                    lun.writersWaited++;
                    lun.queuedWrites++;
                    pending = new PendingWrite(this, offset, sources, length, fua);
                }
            }
        } finally {
            lun.lock.unlock();
        }
        if (writeThrough) {
            return Failures.call(() -> backend.write(offset, sources, true));
        }
        if (pending != null) {
            cache.waitingWriters().add(pending);
            return pending.future;
        }
        consume(sources);
        cache.dirtied();
        if (synced != null) {
            outbox.run(cache);
            return synced;
        }
        if (delay > 0) {
            CompletableFuture<Void> throttled = new CompletableFuture<>();
            cache.completeLater(throttled, delay);
            return throttled;
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Copies in as much of a waiting write as the free arena allows (see {@link WaitingWriters}). */
    WaitingWriters.Step applyQueuedStep(PendingWrite write) {
        Outbox outbox = new Outbox();
        CompletableFuture<Void> synced = null;
        lun.lock.lock();
        try {
            if (lun.abandoned) {
                outbox.later(() -> write.future.completeExceptionally(closingError()));
            } else {
                long from = write.offset + write.applied;
                long end = write.offset + write.length;
                long stepEnd = lun.reachableWithLocked(from, end, Math.min(arena.freePages(), MAX_PAGES_PER_STEP));
                if (stepEnd == from) {
                    return WaitingWriters.Step.STALLED;
                }
                int need = lun.pagesNeededLocked(from, stepEnd - from);
                int[] fresh = lun.scratchLocked(need);
                if (!arena.allocate(need, fresh)) {
                    return WaitingWriters.Step.STALLED; // a writer on the fast path took the pages first
                }
                lun.applyLocked(write.offset, write.sources, write.applied, stepEnd - from, fresh);
                write.applied = stepEnd - write.offset;
                if (write.applied < write.length) {
                    return WaitingWriters.Step.PARTIAL;
                }
                lun.queuedWrites--;
                outbox.later(() -> consume(write.sources));
                if (write.fua) {
                    synced = lun.waiters.addRangeLocked(write.offset, end, outbox);
                } else {
                    outbox.later(() -> write.future.complete(null));
                }
            }
        } finally {
            lun.lock.unlock();
            cache.dirtied();
        }
        outbox.run(cache);
        if (synced != null) {
            synced.whenComplete((ignored, failure) -> {
                if (failure == null) {
                    write.future.complete(null);
                } else {
                    write.future.completeExceptionally(failure);
                }
            });
        }
        return WaitingWriters.Step.DONE;
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        int length = destination.remaining();
        CompletableFuture<Void> invalid = checkRange(offset, length);
        if (invalid != null || length == 0) {
            return invalid != null ? invalid : CompletableFuture.completedFuture(null);
        }
        SyncWaiters.Passthrough busy;
        LunCache.ReadGaps gaps = null;
        lun.lock.lock();
        try {
            busy = lun.waiters.overlappingLocked(offset, offset + length);
            if (busy == null) {
                gaps = lun.readLocked(offset, destination);
            }
        } finally {
            lun.lock.unlock();
        }
        if (busy != null) {
            // A discard of this range is on its way: its old data is gone from the cache but maybe not yet from the
            // backend, so read once the backend has answered.
            return settled(busy.finished.thenCompose(ignored -> read(offset, destination)), Kind.READ_ERROR);
        }
        if (gaps == null) {
            return Failures.call(() -> backend.read(offset, destination));
        }
        int base = destination.position();
        CompletableFuture<?>[] reads = new CompletableFuture<?>[gaps.count];
        for (int i = 0; i < gaps.count; i++) {
            long gapOffset = gaps.offsets[i];
            ByteBuffer part = destination.slice(base + (int) (gapOffset - offset), gaps.lengths[i]);
            reads[i] = Failures.call(() -> backend.read(gapOffset, part));
        }
        return settled(CompletableFuture.allOf(reads).thenRun(() -> destination.position(destination.limit())),
                Kind.READ_ERROR);
    }

    @Override
    public CompletableFuture<Void> flush() {
        Outbox outbox = new Outbox();
        CompletableFuture<Void> synced = null;
        lun.lock.lock();
        try {
            if (lun.index.size() != 0 || lun.waiters.passthroughsInFlightLocked()) {
                synced = lun.waiters.addFlushLocked(outbox);
            }
        } finally {
            lun.lock.unlock();
        }
        if (synced == null) {
            return Failures.call(backend::flush);
        }
        outbox.run(cache);
        return synced;
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return passThrough(offset, length, () -> backend.discard(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return passThrough(offset, length, () -> backend.writeZeroes(offset, length, fua));
    }

    private CompletableFuture<Void> passThrough(long offset, long length,
                                                Supplier<CompletableFuture<Void>> operation) {
        CompletableFuture<Void> invalid = checkRange(offset, length);
        if (invalid != null) {
            return invalid;
        }
        Outbox outbox = new Outbox();
        SyncWaiters.Passthrough passthrough = null;
        lun.lock.lock();
        try {
            if (lun.closing) {
                return closingFailure();
            }
            if (length > 0 && lun.anyCachedLocked(offset, length)) {
                passthrough = lun.waiters.addPassthroughLocked(offset, offset + length, operation, outbox);
            }
        } finally {
            lun.lock.unlock();
        }
        if (passthrough == null) {
            return Failures.call(operation);
        }
        outbox.run(cache);
        return passthrough.result;
    }

    /**
     * Writes back everything dirty (logging progress), flushes and closes the backend. Blocks. When the backend keeps
     * failing for the whole {@link CacheTuning#drainTimeout()}, the data it refused is logged as lost and dropped.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        lun.lock.lock();
        try {
            lun.closing = true;
        } finally {
            lun.lock.unlock();
        }
        cache.wakeFlushers();
        if (!cache.drain(List.of(this), "closing " + lun.name)) {
            abandon();
        }
        cache.detach(this, lun);
        backend.close();
    }

    private void abandon() {
        BackendException error = new BackendException(Kind.WRITE_ERROR,
                lun.name + " was closed with acknowledged writes its backend never accepted");
        cache.waitingWriters().failAll(this, error);
        Outbox outbox = new Outbox();
        long lost;
        lun.lock.lock();
        try {
            lost = lun.dirtyBytesLocked();
            lun.abandonLocked(error, outbox);
        } finally {
            lun.lock.unlock();
        }
        outbox.run(cache);
        log.error("{}: {} did not accept write-back for {}; {} of acknowledged writes are lost", lun.name,
                backend.describe(), cache.tuning().drainTimeout(), CacheStatistics.bytes(lost));
    }

    /** Nothing cached, queued or passing through (what draining waits for). */
    boolean clean() {
        lun.lock.lock();
        try {
            return lun.cleanLocked();
        } finally {
            lun.lock.unlock();
        }
    }

    private CompletableFuture<Void> checkRange(long offset, long length) {
        long blockMask = lun.blockSize - 1;
        if (offset < 0 || length < 0 || offset > lun.sizeBytes - length || (offset & blockMask) != 0
                || (length & blockMask) != 0) {
            return CompletableFuture.failedFuture(new BackendException(Kind.OUT_OF_RANGE, "range " + offset + "+"
                    + length + " is not whole blocks of " + lun.blockSize + " within " + lun.sizeBytes + " bytes"));
        }
        return null;
    }

    private CompletableFuture<Void> closingFailure() {
        return CompletableFuture.failedFuture(closingError());
    }

    private BackendException closingError() {
        return new BackendException(Kind.NOT_READY, lun.name + " is closing");
    }

    /** Like the backends themselves, fail with the bare {@link BackendException}, not a CompletionException. */
    private static CompletableFuture<Void> settled(CompletableFuture<?> future, Kind kindIfUnknown) {
        return future.handle((ignored, failure) -> failure).thenCompose(failure -> failure == null
                ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(Failures.asBackendException(failure, kindIfUnknown)));
    }

    /** The backend contract: the caller's buffers count as consumed once written, as with the other backends. */
    private static void consume(ByteBuffer[] sources) {
        for (ByteBuffer source : sources) {
            source.position(source.limit());
        }
    }
}
