package dev.jtarget.backend.memory;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A RAM disk: scratch LUNs, tests and benchmarks. Off-heap, so its size does not count against the JVM heap. Every
 * operation completes before it returns; concurrent writes to overlapping ranges may interleave, as on a real disk.
 */
public final class MemoryBackend implements BlockBackend {
    private final long sizeBytes;
    private final int blockSize;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;

    public MemoryBackend(long sizeBytes, int blockSize) {
        if (sizeBytes <= 0 || sizeBytes % blockSize != 0) {
            throw new IllegalArgumentException("size " + sizeBytes + " is not a positive multiple of " + blockSize);
        }
        this.sizeBytes = sizeBytes;
        this.blockSize = blockSize;
        this.memory = arena.allocate(sizeBytes, 4096); // allocate() zero-fills, so a fresh disk reads as zeros
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public BackendCapabilities capabilities() {
        return new BackendCapabilities(true, true, false, false);
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        int length = destination.remaining();
        CompletableFuture<Void> outOfRange = checkRange(offset, length);
        if (outOfRange != null) {
            return outOfRange;
        }
        MemorySegment.ofBuffer(destination).copyFrom(memory.asSlice(offset, length));
        destination.position(destination.limit());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        long total = 0;
        for (ByteBuffer source : sources) {
            total += source.remaining();
        }
        CompletableFuture<Void> outOfRange = checkRange(offset, total);
        if (outOfRange != null) {
            return outOfRange;
        }
        long position = offset;
        for (ByteBuffer source : sources) {
            int length = source.remaining();
            memory.asSlice(position, length).copyFrom(MemorySegment.ofBuffer(source));
            source.position(source.limit());
            position += length;
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return writeZeroes(offset, length, false);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        CompletableFuture<Void> outOfRange = checkRange(offset, length);
        if (outOfRange != null) {
            return outOfRange;
        }
        memory.asSlice(offset, length).fill((byte) 0);
        return CompletableFuture.completedFuture(null);
    }

    private CompletableFuture<Void> checkRange(long offset, long length) {
        // Written as a subtraction so that a huge length cannot overflow offset + length past Long.MAX_VALUE.
        if (offset < 0 || length < 0 || offset > sizeBytes || length > sizeBytes - offset) {
            return CompletableFuture.failedFuture(new BackendException(BackendException.Kind.OUT_OF_RANGE,
                    "range " + offset + "+" + length + " outside a " + sizeBytes + "-byte memory disk"));
        }
        return null;
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String describe() {
        return "memory " + sizeBytes + " bytes";
    }
}
