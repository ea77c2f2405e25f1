package dev.jtarget.cache;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test backend with a volatile write cache of its own: writes land in {@link #image()}, and only a flush or a FUA
 * write makes them {@link #durable()} — so tests can tell "written" from "durable". Every write is recorded (with the
 * bytes it carried when it completed, so a page modified while in flight would show up torn). Writes, and separately
 * discards and write-zeroes, can be held until released; writes can be failed on demand; every request can complete
 * after a random delay on another thread.
 */
final class RecordingBackend implements BlockBackend {
    record Write(long offset, byte[] data, boolean fua) {
    }

    private record Held(boolean write, Runnable completion) {
    }

    private final int blockSize;
    private final byte[] image;
    private final byte[] durable;
    private final List<Write> writes = new ArrayList<>();
    private final List<Held> held = new ArrayList<>();
    private final ScheduledExecutorService executor;
    private final long maxDelayMicros;
    private final AtomicInteger flushes = new AtomicInteger();
    private final AtomicInteger discards = new AtomicInteger();
    private boolean holdingWrites;
    private boolean holdingDiscards;
    private volatile boolean failWrites;
    private volatile BackendException.Kind failureKind = BackendException.Kind.WRITE_ERROR;
    private volatile boolean closed;

    /** Completes every request inline. */
    RecordingBackend(int sizeBytes, int blockSize) {
        this(sizeBytes, blockSize, 0);
    }

    /** Completes every request on another thread after up to {@code maxDelayMicros}. */
    RecordingBackend(int sizeBytes, int blockSize, long maxDelayMicros) {
        this.blockSize = blockSize;
        this.image = new byte[sizeBytes];
        this.durable = new byte[sizeBytes];
        this.maxDelayMicros = maxDelayMicros;
        this.executor = maxDelayMicros == 0 ? null : Executors.newScheduledThreadPool(2, task -> {
            Thread thread = new Thread(task, "recording-backend");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** From now on writes wait until {@link #release()}. */
    synchronized void hold() {
        holdingWrites = true;
    }

    /** From now on discards and write-zeroes wait until {@link #release()}. */
    synchronized void holdDiscards() {
        holdingDiscards = true;
    }

    /** Lets held requests complete, in the order they were issued, and stops holding. */
    void release() {
        release(true, true);
    }

    /** Lets held writes complete and stops holding writes; discards stay held. */
    void releaseWrites() {
        release(true, false);
    }

    private void release(boolean writes, boolean discards) {
        List<Held> now = new ArrayList<>();
        synchronized (this) {
            holdingWrites &= !writes;
            holdingDiscards &= !discards;
            for (var it = held.iterator(); it.hasNext(); ) {
                Held request = it.next();
                if (request.write ? writes : discards) {
                    now.add(request);
                    it.remove();
                }
            }
        }
        now.forEach(request -> request.completion.run());
    }

    /** Requests issued and held so far. */
    synchronized int held() {
        return held.size();
    }

    void failWrites(boolean fail) {
        failWrites = fail;
    }

    /** Failed writes fail with {@code kind} (default WRITE_ERROR). */
    void failWritesWith(BackendException.Kind kind) {
        failureKind = kind;
        failWrites = true;
    }

    boolean failingWrites() {
        return failWrites;
    }

    synchronized List<Write> writes() {
        return List.copyOf(writes);
    }

    int flushes() {
        return flushes.get();
    }

    int discards() {
        return discards.get();
    }

    boolean closed() {
        return closed;
    }

    synchronized byte[] image() {
        return image.clone();
    }

    synchronized byte[] durable() {
        return durable.clone();
    }

    /** Sets both images, as if the disk had held {@code content} all along. */
    synchronized void fill(byte[] content) {
        System.arraycopy(content, 0, image, 0, content.length);
        System.arraycopy(content, 0, durable, 0, content.length);
    }

    @Override
    public long sizeBytes() {
        return image.length;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public BackendCapabilities capabilities() {
        return new BackendCapabilities(true, true, true, false);
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        later(() -> {
            synchronized (this) {
                destination.put(destination.position(), image, (int) offset, destination.remaining());
            }
            destination.position(destination.limit());
            future.complete(null);
        });
        return future;
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        Runnable completion = () -> {
            if (failWrites) {
                future.completeExceptionally(new BackendException(failureKind, "injected"));
                return;
            }
            int length = 0;
            for (ByteBuffer source : sources) {
                length += source.remaining();
            }
            byte[] data = new byte[length];
            int at = 0;
            for (ByteBuffer source : sources) {
                int n = source.remaining();
                source.get(source.position(), data, at, n);
                source.position(source.limit());
                at += n;
            }
            synchronized (this) {
                System.arraycopy(data, 0, image, (int) offset, length);
                if (fua) {
                    System.arraycopy(data, 0, durable, (int) offset, length);
                }
                writes.add(new Write(offset, data, fua));
            }
            future.complete(null);
        };
        holdOrRun(completion, true);
        return future;
    }

    @Override
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> future = new CompletableFuture<>();
        later(() -> {
            synchronized (this) {
                System.arraycopy(image, 0, durable, 0, image.length);
            }
            flushes.incrementAndGet();
            future.complete(null);
        });
        return future;
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return writeZeroes(offset, length, false);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        holdOrRun(() -> {
            synchronized (this) {
                Arrays.fill(image, (int) offset, (int) (offset + length), (byte) 0);
                if (fua) {
                    Arrays.fill(durable, (int) offset, (int) (offset + length), (byte) 0);
                }
            }
            discards.incrementAndGet();
            future.complete(null);
        }, false);
        return future;
    }

    private void holdOrRun(Runnable completion, boolean write) {
        synchronized (this) {
            if (write ? holdingWrites : holdingDiscards) {
                held.add(new Held(write, completion));
                return;
            }
        }
        later(completion);
    }

    private void later(Runnable task) {
        if (executor == null) {
            task.run();
        } else {
            executor.schedule(task, ThreadLocalRandom.current().nextLong(maxDelayMicros + 1), TimeUnit.MICROSECONDS);
        }
    }

    @Override
    public void close() {
        closed = true;
        if (executor != null) {
            executor.shutdown();
        }
    }

    @Override
    public String describe() {
        return "recording test backend";
    }
}
