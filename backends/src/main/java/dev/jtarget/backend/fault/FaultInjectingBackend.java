package dev.jtarget.backend.fault;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * A test aid that wraps a backend and fails chosen kinds of request on demand, so tests can check how the layers above
 * turn backend failures into sense data and recover once the backend is healthy again. While a failure is armed,
 * matching requests fail at once without reaching the wrapped backend. Every request is counted, failed or not.
 *
 * <p>"Writes" are everything that changes data: write, write-zeroes and discard. A failed flush also fails FUA writes
 * and FUA write-zeroes, since those include a flush.
 *
 * <p>The wrapped backend belongs to this one: {@link #close()} closes it.
 */
public final class FaultInjectingBackend implements BlockBackend {
    private final BlockBackend delegate;
    private volatile Kind readFailure;
    private volatile Kind writeFailure;
    private volatile Kind flushFailure;
    private final LongAdder reads = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder flushes = new LongAdder();
    private final LongAdder discards = new LongAdder();
    private final LongAdder writeZeroes = new LongAdder();

    public FaultInjectingBackend(BlockBackend delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** From now on reads fail with {@code kind}. */
    public void failReads(Kind kind) {
        readFailure = Objects.requireNonNull(kind, "kind");
    }

    /** From now on writes, write-zeroes and discards fail with {@code kind}. */
    public void failWrites(Kind kind) {
        writeFailure = Objects.requireNonNull(kind, "kind");
    }

    /** From now on flushes, FUA writes and FUA write-zeroes fail with {@code kind}. */
    public void failFlushes(Kind kind) {
        flushFailure = Objects.requireNonNull(kind, "kind");
    }

    /** Disarms every injected failure. */
    public void heal() {
        readFailure = null;
        writeFailure = null;
        flushFailure = null;
    }

    public long readCount() {
        return reads.sum();
    }

    public long writeCount() {
        return writes.sum();
    }

    public long flushCount() {
        return flushes.sum();
    }

    public long discardCount() {
        return discards.sum();
    }

    public long writeZeroesCount() {
        return writeZeroes.sum();
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
        reads.increment();
        Kind failure = readFailure;
        return failure != null ? injected(failure, "read") : delegate.read(offset, destination);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        writes.increment();
        Kind failure = failureOfWrite(fua);
        return failure != null ? injected(failure, "write") : delegate.write(offset, sources, fua);
    }

    @Override
    public CompletableFuture<Void> flush() {
        flushes.increment();
        Kind failure = flushFailure;
        return failure != null ? injected(failure, "flush") : delegate.flush();
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        discards.increment();
        Kind failure = writeFailure;
        return failure != null ? injected(failure, "discard") : delegate.discard(offset, length);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        writeZeroes.increment();
        Kind failure = failureOfWrite(fua);
        return failure != null ? injected(failure, "write zeroes") : delegate.writeZeroes(offset, length, fua);
    }

    private Kind failureOfWrite(boolean fua) {
        Kind failure = writeFailure;
        return failure == null && fua ? flushFailure : failure;
    }

    private CompletableFuture<Void> injected(Kind kind, String operation) {
        return CompletableFuture.failedFuture(
                new BackendException(kind, "injected " + kind + " on " + operation + " of " + delegate.describe()));
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String describe() {
        return delegate.describe() + " with fault injection";
    }
}
