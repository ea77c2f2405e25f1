package dev.jtarget.backend.delay;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A test and benchmark aid that puts a fixed latency in front of another backend, like Linux dm-delay: shows how the
 * target behaves over a slow disk or a distant peer. Each request waits on a timer before it is handed to the wrapped
 * backend, so no thread is blocked however many requests are delayed. Reads take the read delay; writes, write-zeroes,
 * discards and flushes take the write delay. Completions run on the timer thread or the wrapped backend's threads.
 *
 * <p>By default any number of requests wait out their delays at once, as under dm-delay: the device has a latency but
 * unlimited parallelism. A queue depth models a device that works on only so many requests at a time (1: a single
 * disk arm or a peer behind one connection); the others queue in arrival order and their wait adds to their latency.
 *
 * <p>The wrapped backend belongs to this one: {@link #close()} closes it.
 */
public final class DelayedBackend implements BlockBackend {
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** How long close() waits for a request being handed to the wrapped backend right now. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final BlockBackend delegate;
    private final Duration writeDelay;
    private final Duration readDelay;
    /** How many requests the simulated device works on at once; 0 for no limit. */
    private final int queueDepth;
    private final ScheduledThreadPoolExecutor timer;
    /** Requests admitted to the simulated device and not yet complete. Guarded by {@code this}. */
    private int busy;
    /** Requests waiting for the simulated device, in arrival order. Guarded by {@code this}. */
    private final Deque<Runnable> queued = new ArrayDeque<>();
    /** Requests still waiting for their delay, failed on close so that no caller waits forever. */
    private final Set<CompletableFuture<Void>> waiting = ConcurrentHashMap.newKeySet();

    /** Delays every request with no limit on how many are delayed at once, like dm-delay. */
    public DelayedBackend(BlockBackend delegate, Duration writeDelay, Duration readDelay) {
        this(delegate, writeDelay, readDelay, 0);
    }

    /** @param queueDepth how many requests are worked on at once (each for its delay plus the wrapped backend's time); 0 for no limit */
    public DelayedBackend(BlockBackend delegate, Duration writeDelay, Duration readDelay, int queueDepth) {
        if (queueDepth < 0) {
            throw new IllegalArgumentException("queue depth " + queueDepth + " is negative");
        }
        this.queueDepth = queueDepth;
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.writeDelay = requireNonNegative(writeDelay, "write delay");
        this.readDelay = requireNonNegative(readDelay, "read delay");
        String name = "backend-delay-" + INSTANCES.incrementAndGet();
        this.timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        });
        // On close, requests still waiting are dropped (and failed below) rather than run against a closed backend.
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    private static Duration requireNonNegative(Duration delay, String what) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException(what + " " + delay + " is negative");
        }
        return delay;
    }

    @Override
    public long sizeBytes() {
        return delegate.sizeBytes();
    }

    @Override
    public int blockSize() {
        return delegate.blockSize();
    }

    @Override
    public BackendCapabilities capabilities() {
        return delegate.capabilities();
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        return after(readDelay, () -> delegate.read(offset, destination));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        return after(writeDelay, () -> delegate.write(offset, sources, fua));
    }

    @Override
    public CompletableFuture<Void> flush() {
        return after(writeDelay, delegate::flush);
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return after(writeDelay, () -> delegate.discard(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return after(writeDelay, () -> delegate.writeZeroes(offset, length, fua));
    }

    private CompletableFuture<Void> after(Duration delay, Supplier<CompletableFuture<Void>> request) {
        if (delay.isZero() && queueDepth == 0) {
            return request.get();
        }
        if (timer.isShutdown()) {
            return CompletableFuture.failedFuture(closedException(null));
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        waiting.add(result);
        if (queueDepth == 0) {
            schedule(delay, request, result);
            return result;
        }
        Runnable start = () -> {
            result.whenComplete((ignored, failure) -> leaveDevice()); // only admitted requests hand a slot on
            schedule(delay, request, result);
        };
        boolean admitted;
        synchronized (this) {
            admitted = busy < queueDepth;
            if (admitted) {
                busy++;
            } else {
                queued.add(start);
            }
        }
        if (admitted) {
            start.run();
        }
        return result;
    }

    /** A request is done with the simulated device: the next queued one takes its place. */
    private void leaveDevice() {
        Runnable next;
        synchronized (this) {
            next = queued.poll();
            if (next == null) {
                busy--;
            }
        }
        if (next != null) {
            next.run();
        }
    }

    private void schedule(Duration delay, Supplier<CompletableFuture<Void>> request, CompletableFuture<Void> result) {
        if (result.isDone()) {
            return; // failed by close() while it queued
        }
        try {
            timer.schedule(() -> {
                waiting.remove(result);
                relay(request, result);
            }, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            waiting.remove(result);
            result.completeExceptionally(closedException(e));
        }
    }

    private static void relay(Supplier<CompletableFuture<Void>> request, CompletableFuture<Void> result) {
        try {
            request.get().whenComplete((ignored, failure) -> {
                if (failure == null) {
                    result.complete(null);
                } else {
                    // Hand on the BackendException itself, not a CompletionException wrapped around it.
                    boolean wrapped = failure instanceof CompletionException && failure.getCause() != null;
                    result.completeExceptionally(wrapped ? failure.getCause() : failure);
                }
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
    }

    private BackendException closedException(Throwable cause) {
        return new BackendException(BackendException.Kind.NOT_READY, describe() + " is closed", cause);
    }

    /** Fails the requests still waiting for their delay, then closes the wrapped backend. */
    @Override
    public void close() {
        // shutdown, not shutdownNow: interrupting a request being handed over could hurt the wrapped backend (an
        // interrupt inside FileChannel I/O closes the channel).
        timer.shutdown();
        for (CompletableFuture<Void> request : waiting) {
            request.completeExceptionally(closedException(null));
        }
        waiting.clear();
        try {
            timer.awaitTermination(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delegate.close();
    }

    @Override
    public String describe() {
        return delegate.describe() + " delayed (write " + writeDelay.toMillis() + " ms, read " + readDelay.toMillis()
                + " ms" + (queueDepth == 0 ? "" : ", queue depth " + queueDepth) + ")";
    }
}
