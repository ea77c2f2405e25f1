package dev.jtarget.cache;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * A write that found too few free arena pages and waits its turn. It is copied in as pages free up, possibly in
 * several steps (a write larger than the free arena still gets through); its future completes when the last step is
 * in (and, for FUA, written back). The caller keeps its buffers until then.
 */
final class PendingWrite {
    final CachedBackend owner;
    final long offset;
    final ByteBuffer[] sources;
    final long length;
    final boolean fua;
    final CompletableFuture<Void> future = new CompletableFuture<>();
    /** Bytes copied into the cache so far; guarded by the owner LUN's lock. */
    long applied;

    PendingWrite(CachedBackend owner, long offset, ByteBuffer[] sources, long length, boolean fua) {
        this.owner = owner;
        this.offset = offset;
        this.sources = sources;
        this.length = length;
        this.fua = fua;
    }
}
