package dev.jtarget.server;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.io.ChannelIo;
import dev.jtarget.backend.qcow2.Qcow2Overlay;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A clone as its logical unit sees it: the write-back cache over the clone's overlay, with every write checked for
 * space before the cache accepts it. The overlay promises the clusters the write may allocate; when the clone
 * directory's {@link SpaceWatch} has no room for them, the write fails at once with
 * {@link BackendException.Kind#NO_SPACE} (SPACE ALLOCATION FAILED), instead of being acknowledged from the cache
 * and failing at write-back. Writes to clusters the clone has, reads, flushes and discards pass untouched.
 */
final class SpaceAdmission implements BlockBackend {
    private final BlockBackend cached;
    private final Qcow2Overlay overlay;
    private final SpaceWatch.Registration space;

    /** Takes over {@code cached} and {@code space}: {@link #close()} closes both. */
    SpaceAdmission(BlockBackend cached, Qcow2Overlay overlay, SpaceWatch.Registration space) {
        this.cached = cached;
        this.overlay = overlay;
        this.space = space;
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        long length = ChannelIo.remaining(sources);
        if (!overlay.promise(offset, length)) {
            return refused("write", offset, length);
        }
        return cached.write(offset, sources, fua);
    }

    /**
     * Whole clusters of zeros only set the zero flag and free space; a partial cluster at either end is written
     * with zeros and may need a cluster of its own, so those two are promised.
     */
    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        long cluster = overlay.clusterSize();
        long end = offset + length;
        long head = Math.min(end, (offset + cluster - 1) / cluster * cluster) - offset;
        long tail = end - Math.max(offset + head, end / cluster * cluster);
        if (!overlay.promise(offset, head) || !overlay.promise(end - tail, tail)) {
            return refused("write zeroes", offset, length);
        }
        return cached.writeZeroes(offset, length, fua);
    }

    private CompletableFuture<Void> refused(String operation, long offset, long length) {
        return CompletableFuture.failedFuture(new BackendException(BackendException.Kind.NO_SPACE, operation + " "
                + offset + "+" + length + " refused: no space for new clusters of " + overlay.describe()));
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        return cached.read(offset, destination);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return cached.flush();
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return cached.discard(offset, length);
    }

    @Override
    public long sizeBytes() {
        return cached.sizeBytes();
    }

    @Override
    public int blockSize() {
        return cached.blockSize();
    }

    @Override
    public BackendCapabilities capabilities() {
        return cached.capabilities();
    }

    @Override
    public void close() {
        try {
            cached.close();
        } finally {
            space.close();
        }
    }

    @Override
    public String describe() {
        return cached.describe();
    }
}
