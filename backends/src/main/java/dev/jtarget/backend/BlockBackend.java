package dev.jtarget.backend;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Where a LUN's blocks live: a file, a raw device, memory or a remote peer.
 *
 * <p>Every operation is asynchronous so that a backend can keep many requests in flight (an NBD peer pipelines them,
 * a file backend runs them on its own I/O threads). Offsets and lengths are in bytes; callers keep them aligned to
 * {@link #blockSize()}. Buffers passed in belong to the caller again once the returned future completes.
 *
 * <p>A failed future always carries a {@link BackendException}, whose {@link BackendException.Kind} lets the SCSI
 * layer choose the sense data.
 */
public interface BlockBackend extends AutoCloseable {

    /** Capacity in bytes; a multiple of {@link #blockSize()}. */
    long sizeBytes();

    /** The smallest unit the backend can address without read-modify-write. */
    int blockSize();

    BackendCapabilities capabilities();

    /** Fills {@code destination} from its position to its limit with the bytes at {@code offset}. */
    CompletableFuture<Void> read(long offset, ByteBuffer destination);

    /**
     * Writes the buffers back to back starting at {@code offset} (a gathered write: the cache's flushers hand over
     * many pages at once). With {@code fua} the data is durable before the future completes.
     */
    CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua);

    /** Makes every write completed before this call durable. */
    CompletableFuture<Void> flush();

    /** Tells the backend the range is no longer needed; what it reads as afterwards is in the capabilities. */
    CompletableFuture<Void> discard(long offset, long length);

    /** Makes the range read as zeros, deallocating where the backend can. */
    CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua);

    /** Releases files, sockets and threads. Does not flush: callers flush first when they need durability. */
    @Override
    void close();

    /** A short human description for logs, e.g. {@code file data/disk0.img}. */
    String describe();
}
