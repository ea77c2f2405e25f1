package dev.jtarget.cache;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that write dirty data back. Each one repeatedly picks the LUN that needs it most (a waiting
 * SYNCHRONIZE CACHE or close first, then expired data, then the oldest data while the arena is above its background
 * ratio), takes a batch of that LUN's pages and waits for the batch to settle, which bounds the writes in flight to
 * {@code flushers * maxBatchWrites}. Idle flushers sleep until woken or until the next page expires.
 *
 * <p>Flushers never need arena memory and never wait for writers, so they always make progress while the backend
 * does: that is what makes a full arena a wait for writers rather than a deadlock.
 */
final class Flushers {
    private static final Logger log = LoggerFactory.getLogger(Flushers.class);
    private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MIN_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final WriteBackCache cache;
    private final Thread[] threads;
    private final int backgroundPages;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private boolean wakeRequested;
    private final AtomicInteger idle = new AtomicInteger();
    private volatile boolean stopping;

    private record Candidate(LunCache lun, FlushBatch.Mode mode, long age) {
    }

    Flushers(WriteBackCache cache, int count, int backgroundPages) {
        if (count < 1) {
            throw new IllegalArgumentException("need at least one flusher, got " + count);
        }
        this.cache = cache;
        this.backgroundPages = backgroundPages;
        this.threads = new Thread[count];
        for (int i = 0; i < count; i++) {
            threads[i] = Thread.ofPlatform().name("cache-flusher-" + i).daemon().unstarted(this::run);
        }
    }

    void start() {
        for (Thread thread : threads) {
            thread.start();
        }
    }

    void wake() {
        lock.lock();
        try {
            wakeRequested = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes a sleeping flusher when the arena passed its background ratio; cheap when nobody sleeps. */
    void dirtied() {
        if (idle.get() > 0 && cache.arena().usedPages() >= backgroundPages) {
            wake();
        }
    }

    /** Stops the threads after their current batch; waits up to {@code timeoutMillis} for them. */
    void stop(long timeoutMillis) {
        stopping = true;
        wake();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (Thread thread : threads) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (thread.isAlive()) {
                log.warn("{} is still waiting for a backend write after {} ms", thread.getName(), timeoutMillis);
            }
        }
    }

    private void run() {
        while (!stopping) {
            try {
                FlushBatch batch = nextBatch();
                if (batch == null) {
                    sleep(idleNanos());
                } else {
                    batch.issue();
                    batch.done().join();
                }
            } catch (RuntimeException | Error e) {
                // A bug must not silently stop write-back: log it and keep the thread alive.
                log.error("flusher failed", e);
                sleep(MAX_IDLE_NANOS);
            }
        }
    }

    private FlushBatch nextBatch() {
        long now = System.nanoTime();
        boolean aboveBackground = cache.arena().usedPages() >= backgroundPages;
        List<Candidate> candidates = new ArrayList<>();
        for (LunCache lun : cache.luns()) {
            lun.lock.lock();
            try {
                FlushBatch.Mode mode = lun.writeBack.flushModeLocked(now, aboveBackground);
                if (mode != null) {
                    candidates.add(new Candidate(lun, mode, lun.writeBack.oldestAgeLocked(now)));
                }
            } finally {
                lun.lock.unlock();
            }
        }
        candidates.sort(Comparator.comparing(Candidate::mode).thenComparing(Candidate::age, Comparator.reverseOrder()));
        for (Candidate candidate : candidates) {
            candidate.lun.lock.lock();
            try {
                FlushBatch batch = FlushBatch.takeLocked(candidate.lun, candidate.mode, now);
                if (batch != null) {
                    return batch;
                }
            } finally {
                candidate.lun.lock.unlock();
            }
        }
        return null;
    }

    private long idleNanos() {
        long now = System.nanoTime();
        long wait = MAX_IDLE_NANOS;
        for (LunCache lun : cache.luns()) {
            lun.lock.lock();
            try {
                wait = Math.min(wait, lun.writeBack.nextDueLocked(now));
            } finally {
                lun.lock.unlock();
            }
        }
        return Math.max(MIN_IDLE_NANOS, wait);
    }

    private void sleep(long nanos) {
        lock.lock();
        try {
            idle.incrementAndGet();
            if (!wakeRequested && !stopping) {
                work.awaitNanos(nanos);
            }
            wakeRequested = false;
        } catch (InterruptedException e) {
            // Only stop() ends a flusher; an interrupt must not abandon dirty data, so it just ends this nap.
        } finally {
            idle.decrementAndGet();
            lock.unlock();
        }
    }
}
