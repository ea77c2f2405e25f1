package dev.jtarget.backend.memory;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.io.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A RAM disk: scratch LUNs, tests and benchmarks. Off-heap, so its size does not count against the JVM heap. Every
 * operation completes before it returns; concurrent writes to overlapping ranges may interleave, as on a real disk.
 *
 * <p>On Linux the memory is anonymous {@code mmap} memory: a fresh disk reads as zeros without being written, so a
 * large RAM disk starts at once and takes physical memory only for the blocks written, and discard gives whole pages
 * back to the system. Elsewhere it is ordinary zero-filled off-heap memory.
 */
public final class MemoryBackend implements BlockBackend {
    /** The page size of the mapping; whole pages of a discarded range are given back. */
    private static final long PAGE = 4096;
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
        this.memory = allocate(sizeBytes, arena);
    }

    private static MemorySegment allocate(long sizeBytes, Arena arena) {
        if (Libc.unavailable() == null) {
            try {
                return Libc.mapAnonymous(sizeBytes, arena, "mapping a " + sizeBytes + "-byte memory disk");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return arena.allocate(sizeBytes, PAGE); // allocate() zero-fills, so a fresh disk reads as zeros
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
        long firstPage = Math.min(alignUp(offset), offset + length);
        long endPages = Math.max(firstPage, alignDown(offset + length));
        memory.asSlice(offset, firstPage - offset).fill((byte) 0);
        memory.asSlice(endPages, offset + length - endPages).fill((byte) 0);
        if (endPages > firstPage) {
            zeroPages(memory.asSlice(firstPage, endPages - firstPage));
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Whole pages read as zeros from now on; mapped memory gives them back to the system instead of writing them. */
    private void zeroPages(MemorySegment pages) {
        if (Libc.unavailable() != null) {
            pages.fill((byte) 0);
            return;
        }
        try {
            Libc.dropPages(pages, "discarding pages of a memory disk");
        } catch (IOException e) {
            pages.fill((byte) 0);
        }
    }

    private static long alignUp(long offset) {
        return (offset + PAGE - 1) & -PAGE;
    }

    private static long alignDown(long offset) {
        return offset & -PAGE;
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
