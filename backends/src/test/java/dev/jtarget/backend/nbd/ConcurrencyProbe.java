package dev.jtarget.backend.nbd;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A test wrapper that records the most operations ever running at once on the wrapped backend, and can make the next
 * reads hang to imitate a peer that stops answering. Hung reads fail when the probe is closed, so that whoever waits on
 * them (and holds buffers for them) is released.
 */
final class ConcurrencyProbe implements BlockBackend {
    private final BlockBackend delegate;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private final AtomicInteger readsToHang = new AtomicInteger();
    private final List<CompletableFuture<Void>> hung = new CopyOnWriteArrayList<>();

    ConcurrencyProbe(BlockBackend delegate) {
        this.delegate = delegate;
    }

    int maxConcurrent() {
        return maxConcurrent.get();
    }

    /** The next {@code count} reads never complete. */
    void hangReads(int count) {
        readsToHang.set(count);
    }

    private CompletableFuture<Void> track(Supplier<CompletableFuture<Void>> operation) {
        maxConcurrent.accumulateAndGet(running.incrementAndGet(), Math::max);
        return operation.get().whenComplete((ignored, failure) -> running.decrementAndGet());
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
        if (readsToHang.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            CompletableFuture<Void> hanging = new CompletableFuture<>();
            hung.add(hanging);
            return hanging;
        }
        return track(() -> delegate.read(offset, destination));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        return track(() -> delegate.write(offset, sources, fua));
    }

    @Override
    public CompletableFuture<Void> flush() {
        return track(delegate::flush);
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return track(() -> delegate.discard(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return track(() -> delegate.writeZeroes(offset, length, fua));
    }

    @Override
    public void close() {
        hung.forEach(future -> future.completeExceptionally(
                new BackendException(BackendException.Kind.NOT_READY, "probe closed")));
        delegate.close();
    }

    @Override
    public String describe() {
        return "probe over " + delegate.describe();
    }
}
