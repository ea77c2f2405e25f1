package dev.jtarget.backend.image;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One aligned chunk of the image in a memory slot of the cache. Readers pin it while they wait for its load or copy
 * out of it; eviction claims it only when nobody holds a pin, by turning the pin count from 0 to {@link #EVICTED}.
 */
final class CachedChunk {
    private static final int EVICTED = -1;

    final long index;
    final int slot;
    final MemorySegment memory;
    /** Completed with the number of valid bytes (short for the image's last chunk) once the file read is done. */
    final CompletableFuture<Integer> loaded = new CompletableFuture<>();
    /** CLOCK's second-chance bit: set by every hit, cleared by the hand passing over the chunk. */
    volatile boolean referenced = true;
    private final AtomicInteger pins = new AtomicInteger(1); // its loader's

    CachedChunk(long index, int slot, MemorySegment memory) {
        this.index = index;
        this.slot = slot;
        this.memory = memory;
    }

    /** False when the chunk is being evicted: the caller looks it up again. */
    boolean pin() {
        int held;
        do {
            held = pins.get();
            if (held == EVICTED) {
                return false;
            }
        } while (!pins.compareAndSet(held, held + 1));
        return true;
    }

    void unpin() {
        pins.decrementAndGet();
    }

    /** Claims the chunk for eviction when no reader holds it; it can never be pinned again. */
    boolean claimForEviction() {
        return pins.compareAndSet(0, EVICTED);
    }
}
