package dev.jtarget.cache;

import dev.jtarget.backend.BlockBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-back cache shared by all LUNs: one off-heap {@link BufferArena} and one pool of flusher threads. Each LUN
 * that reports WCE=1 gets its backend wrapped by {@link #attach}; the wrapper acknowledges plain writes once they are
 * copied into the arena and writes them back later, oldest first, in large gathered writes.
 *
 * <p>Memory is bounded by the arena. Above the background ratio flushers write back continuously; above the throttle
 * ratio write completions are delayed progressively; when the arena is full, writes wait (their futures complete
 * later) until write-back frees pages. No write fails for lack of memory, and write-back never needs memory.
 *
 * <p>Crash semantics (what WCE=1 promises, SBC-3 4.15): a write acknowledged from the cache survives a crash only once
 * a SYNCHRONIZE CACHE or a FUA write covering it has completed. Data acknowledged since may be lost, but never torn
 * (a page is not modified while it is being written back) and never older than what the last sync made durable.
 *
 * <p>Shutdown: stop accepting commands, then {@link #drain()} (or close each LUN's backend), then {@link #close()}.
 */
public final class WriteBackCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WriteBackCache.class);
    private static final long PROGRESS_LOG_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final CacheTuning tuning;
    private final BufferArena arena;
    private final PageTable pageTable;
    private final int throttlePages;
    private final Flushers flushers;
    private final WaitingWriters waitingWriters = new WaitingWriters();
    private final List<CachedBackend> attached = new CopyOnWriteArrayList<>();
    private final List<LunCache> luns = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private CacheStatistics lastLogged;
    /** The per-LUN snapshots of the last periodic log, by scope: each LUN's line shows its own flush rate. */
    private Map<String, CacheStatistics> lastLoggedLuns = Map.of();
    /**
     * The final counters of LUNs detached since the start (closed clones), kept in the cache-wide totals so they
     * never go backwards and a rate between two snapshots never turns negative.
     */
    private volatile CacheStatistics detachedLuns;
    private boolean closed;

    /** A cache with the default tuning ({@link CacheTuning#DEFAULT}). */
    public WriteBackCache(long arenaBytes, int flushers) {
        this(arenaBytes, flushers, CacheTuning.DEFAULT);
    }

    /**
     * Allocates the arena (all of it, now) and starts the flushers.
     *
     * @param arenaBytes the arena size; rounded down to whole pages
     * @param flushers   the number of flusher threads
     */
    public WriteBackCache(long arenaBytes, int flushers, CacheTuning tuning) {
        this.tuning = tuning;
        this.arena = new BufferArena(arenaBytes, tuning.pageSize());
        this.pageTable = new PageTable(arena.pageCount());
        int pages = arena.pageCount();
        this.throttlePages = (int) Math.min(pages - 1, Math.round(pages * tuning.throttleRatio()));
        this.flushers = new Flushers(this, flushers, (int) Math.round(pages * tuning.backgroundRatio()));
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                task -> Thread.ofPlatform().name("cache-timer").daemon().unstarted(task));
        executor.setRemoveOnCancelPolicy(true);
        this.timer = executor;
        this.flushers.start();
        long logMillis = tuning.statisticsLogInterval().toMillis();
        if (logMillis > 0) {
            timer.scheduleAtFixedRate(this::logStatistics, logMillis, logMillis, TimeUnit.MILLISECONDS);
        }
        log.info("write-back cache: {} arena in {} pages of {} bytes, {} flushers", CacheStatistics.bytes(
                arena.capacityBytes()), pages, tuning.pageSize(), flushers);
    }

    /**
     * Puts the cache in front of a LUN's backend. The returned backend owns {@code lunBackend}: closing it writes back
     * everything dirty, flushes and closes {@code lunBackend}.
     *
     * @throws IllegalArgumentException when the LUN's block size does not fit the cache's pages
     */
    public synchronized BlockBackend attach(BlockBackend lunBackend, String lunName) {
        if (closed) {
            throw new IllegalStateException("the write-back cache is closed");
        }
        LunCache lun = new LunCache(this, lunBackend, lunName);
        CachedBackend backend = new CachedBackend(this, lun);
        luns.add(lun);
        attached.add(backend);
        return backend;
    }

    /** Cache-wide statistics. */
    public CacheStatistics statistics() {
        List<CacheStatistics> all = lunStatistics();
        CacheStatistics detached = detachedLuns;
        if (detached != null) {
            all.add(detached);
        }
        return CacheStatistics.total(System.nanoTime(), arena.capacityBytes(),
                (long) arena.usedPages() * arena.pageSize(), all);
    }

    /** Statistics of every attached LUN. */
    public List<CacheStatistics> lunStatistics() {
        List<CacheStatistics> all = new ArrayList<>();
        for (CachedBackend backend : attached) {
            all.add(backend.statistics());
        }
        return all;
    }

    /**
     * Writes back everything dirty in every LUN and flushes their backends, logging progress; for shutdown, after new
     * commands were stopped. Keeps retrying a failing backend for {@link CacheTuning#drainTimeout()}.
     *
     * @return whether everything was written back
     */
    public boolean drain() {
        return drain(List.copyOf(attached), "draining the write-back cache");
    }

    /**
     * Closes every LUN backend still attached (each one drains first), stops the flushers and frees the arena.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (CachedBackend backend : attached) {
            backend.close();
        }
        flushers.stop(tuning.drainTimeout().toMillis());
        timer.shutdown(); // throttled completions still scheduled run; the statistics log stops
        logStatistics();
        pageTable.close();
        arena.close();
    }

    /**
     * Flushes {@code backends} until all are clean, logging progress every few seconds.
     *
     * @return false when a backend kept failing for the whole drain timeout
     */
    boolean drain(List<CachedBackend> backends, String what) {
        long start = System.nanoTime();
        long deadline = start + tuning.drainTimeout().toNanos();
        long nextLog = start + PROGRESS_LOG_NANOS;
        CacheStatistics before = statistics();
        while (true) {
            // Done once a flush succeeds that started with nothing cached: it then covered every write before it.
            // (A LUN found clean without a flush may just have been written back, not yet flushed.)
            boolean cleanBefore = true;
            List<CompletableFuture<Void>> flushes = new ArrayList<>();
            for (CachedBackend backend : backends) {
                cleanBefore &= backend.clean();
                flushes.add(backend.flush());
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(flushes.toArray(new CompletableFuture[0]));
            boolean failed = false;
            while (!all.isDone()) {
                try {
                    all.get(Math.max(1, nextLog - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    CacheStatistics now = statistics();
                    log.info("{}: {} dirty, writing back at {}/s", what, CacheStatistics.bytes(now.dirtyBytes()),
                            CacheStatistics.bytes((long) now.flushBytesPerSecondSince(before)));
                    nextLog = System.nanoTime() + PROGRESS_LOG_NANOS;
                } catch (ExecutionException e) {
                    failed = true;
                    log.warn("{}: {}", what, e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
            }
            if (!failed && cleanBefore) {
                return true;
            }
            // A failing backend is retried at the pace of write-back retries; writes still waiting for arena pages
            // get a moment rather than a spin of empty flushes.
            pause(failed ? tuning.retryBackoffMax() : Duration.ofMillis(1));
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    synchronized void detach(CachedBackend backend, LunCache lun) {
        CacheStatistics last = backend.statistics();
        attached.remove(backend);
        luns.remove(lun);
        detachedLuns = detachedLuns == null ? last : CacheStatistics.total(last.capturedAtNanos(),
                last.arenaCapacityBytes(), 0, List.of(detachedLuns, last));
    }

    CacheTuning tuning() {
        return tuning;
    }

    BufferArena arena() {
        return arena;
    }

    PageTable pageTable() {
        return pageTable;
    }

    List<LunCache> luns() {
        return luns;
    }

    WaitingWriters waitingWriters() {
        return waitingWriters;
    }

    void wakeFlushers() {
        flushers.wake();
    }

    /** Data was added to the cache: wake a flusher if the arena passed the background ratio. */
    void dirtied() {
        flushers.dirtied();
    }

    /** Pages went back to the arena: let waiting writers in. */
    void pagesFreed() {
        waitingWriters.serve();
    }

    /**
     * How long to hold back a write's completion: zero up to the throttle ratio, then growing quadratically with the
     * arena's use up to {@link CacheTuning#maxThrottleDelay()}, like Linux's balance_dirty_pages pauses. This slows
     * initiators to the write-back rate before the arena is full.
     */
    long throttleDelayNanos() {
        int used = arena.usedPages();
        if (used <= throttlePages) {
            return 0;
        }
        double excess = (used - throttlePages) / (double) (arena.pageCount() - throttlePages);
        return (long) (tuning.maxThrottleDelay().toNanos() * Math.min(1.0, excess * excess));
    }

    void completeLater(CompletableFuture<Void> future, long delayNanos) {
        try {
            timer.schedule(() -> future.complete(null), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            future.complete(null); // the cache is closing: no point in slowing anyone down
        }
    }

    private synchronized void logStatistics() {
        CacheStatistics now = statistics();
        List<CacheStatistics> lunsNow = lunStatistics();
        boolean busy = lastLogged == null || now.dirtyBytes() > 0 || now.writes() != lastLogged.writes()
                || now.flushedBytes() != lastLogged.flushedBytes();
        if (busy && !attached.isEmpty()) {
            log.info(now.toLogLine(lastLogged));
            for (CacheStatistics lun : lunsNow) {
                log.info(lun.toLogLine(lastLoggedLuns.get(lun.scope())));
            }
        }
        lastLogged = now;
        Map<String, CacheStatistics> byScope = new HashMap<>();
        lunsNow.forEach(lun -> byScope.put(lun.scope(), lun));
        lastLoggedLuns = byScope;
    }
}
