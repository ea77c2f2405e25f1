package dev.jtarget.backend.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Transfers for a descriptor opened with O_DIRECT, where the kernel moves data between the device and the caller's
 * memory without the page cache and so insists (EINVAL otherwise) that the memory address, the file offset and the
 * length are all multiples of the device's logical block size, the <em>alignment</em>.
 *
 * <p>Offsets and lengths are the caller's to align (the backends refuse requests that are not). Memory is this class's
 * job: a buffer that is direct, aligned and a whole number of alignment units long goes to the kernel as it is; any
 * other (a heap buffer, a slice of a pooled direct buffer at an odd address) is copied through a bounce buffer of
 * {@link #BOUNCE_BYTES}, a chunk at a time. The bounce buffers are allocated once, one per I/O thread, so a request
 * never allocates and never waits for one.
 */
public final class AlignedTransfer implements Transfer {
    /** Large enough that a chunk costs one device request of a useful size, small enough to keep per LUN. */
    public static final int BOUNCE_BYTES = 1 << 20;

    private final Transfer target;
    private final int alignment;
    private final int bounceBytes;
    private final Arena arena = Arena.ofShared();
    private final BlockingQueue<ByteBuffer> bounceBuffers;

    /**
     * @param target    positional calls on the O_DIRECT descriptor
     * @param alignment the device's logical block size, a power of two
     * @param threads   how many threads call at once: one bounce buffer each
     */
    public AlignedTransfer(Positional target, int alignment, int threads) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("O_DIRECT alignment " + alignment + " is not a power of two");
        }
        this.target = Transfer.through(target);
        this.alignment = alignment;
        this.bounceBytes = Math.max(alignment, BOUNCE_BYTES); // both powers of two: a multiple of the alignment
        this.bounceBuffers = new ArrayBlockingQueue<>(threads);
        for (int i = 0; i < threads; i++) {
            bounceBuffers.add(arena.allocate(bounceBytes, alignment).asByteBuffer());
        }
    }

    public int alignment() {
        return alignment;
    }

    @Override
    public boolean readFully(long offset, ByteBuffer destination) throws IOException {
        requireAligned(offset, destination.remaining());
        if (isAligned(destination)) {
            return target.readFully(offset, destination);
        }
        ByteBuffer bounce = takeBounceBuffer();
        try {
            long position = offset;
            while (destination.hasRemaining()) {
                bounce.clear().limit(Math.min(bounceBytes, destination.remaining()));
                boolean complete = target.readFully(position, bounce);
                position += bounce.position();
                destination.put(bounce.flip());
                if (!complete) {
                    return false;
                }
            }
            return true;
        } finally {
            bounceBuffers.add(bounce);
        }
    }

    @Override
    public void writeFully(long offset, ByteBuffer[] sources) throws IOException {
        long length = 0;
        boolean aligned = true;
        for (ByteBuffer source : sources) {
            length += source.remaining();
            aligned &= isAligned(source);
        }
        requireAligned(offset, length);
        if (aligned) {
            target.writeFully(offset, sources);
            return;
        }
        ByteBuffer bounce = takeBounceBuffer();
        try {
            ByteBuffer[] chunk = {bounce};
            long position = offset;
            int next = 0;
            while (next < sources.length) {
                // Gather the next chunk from as many sources as it spans. Every chunk but the last is full, a
                // multiple of the alignment; so is the last, because the whole length is.
                bounce.clear();
                while (bounce.hasRemaining() && next < sources.length) {
                    ByteBuffer source = sources[next];
                    int bytes = Math.min(bounce.remaining(), source.remaining());
                    bounce.put(bounce.position(), source, source.position(), bytes);
                    bounce.position(bounce.position() + bytes);
                    source.position(source.position() + bytes);
                    if (!source.hasRemaining()) {
                        next++;
                    }
                }
                bounce.flip();
                int bytes = bounce.remaining();
                target.writeFully(position, chunk);
                position += bytes;
            }
        } finally {
            bounceBuffers.add(bounce);
        }
    }

    /** Frees the bounce buffers; the caller guarantees that no transfer still runs. */
    @Override
    public void release() {
        arena.close();
    }

    /**
     * Whether the kernel can use {@code buffer}'s memory directly. Read-only buffers are copied: the kernel only reads
     * them, but a read-only segment must not be handed to native code that could write it.
     */
    private boolean isAligned(ByteBuffer buffer) {
        return buffer.isDirect() && !buffer.isReadOnly() && buffer.remaining() % alignment == 0
                && MemorySegment.ofBuffer(buffer).address() % alignment == 0;
    }

    private void requireAligned(long offset, long length) throws IOException {
        if (offset % alignment != 0 || length % alignment != 0) {
            throw new IOException("O_DIRECT needs whole " + alignment + "-byte blocks, not " + offset + "+" + length);
        }
    }

    /** Never waits in practice: there is one bounce buffer per I/O thread and only those threads call here. */
    private ByteBuffer takeBounceBuffer() throws InterruptedIOException {
        try {
            return bounceBuffers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for an O_DIRECT bounce buffer");
        }
    }
}
