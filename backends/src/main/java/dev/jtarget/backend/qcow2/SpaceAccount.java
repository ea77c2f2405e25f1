package dev.jtarget.backend.qcow2;

/**
 * The free space of the filesystem an overlay grows into, shared with whoever else grows there. A write-back cache
 * acknowledges a write before the overlay allocates its cluster, so a write that will allocate must be promised its
 * space when it is accepted ({@link Qcow2Overlay#promise}); the overlay then reports what it really allocates, and
 * the account can tell how much of the filesystem's free space is still unspoken for.
 */
public interface SpaceAccount {
    /** An account that never refuses: an overlay nobody watches. */
    SpaceAccount UNLIMITED = new SpaceAccount() {
        @Override
        public boolean promise(long bytes) {
            return true;
        }

        @Override
        public void cancel(long bytes) {
        }

        @Override
        public void allocated(long bytes, long promisedBytes) {
        }
    };

    /** Sets {@code bytes} aside for allocations accepted now and made later; false when they would not fit. */
    boolean promise(long bytes);

    /** Promised bytes that will not be allocated after all (their data was discarded first, or the overlay closed). */
    void cancel(long bytes);

    /** The overlay took {@code bytes} of the file for new clusters, of which {@code promisedBytes} were promised. */
    void allocated(long bytes, long promisedBytes);
}
