package dev.jtarget.backend.qcow2;

/**
 * The space promised to writes a cache above accepted but the overlay has not allocated yet (see
 * {@link Qcow2Overlay#promise}). A promise is kept when its guest cluster is allocated and given back when the cluster
 * turns out to be ours already or is discarded first. Promising takes no lock, so it never waits behind a metadata
 * write-back: it consults the clusters known to be ours and promises every other one, however it reads.
 */
final class ClusterPromises {
    private final SpaceAccount space;
    private final int clusterBits;
    /** Guest clusters seen to have a host cluster of their own (written in place, no allocation needed). */
    private final ClusterBits owned;
    /** Guest clusters promised space for an allocation still to come. */
    private final ClusterBits promised;

    ClusterPromises(SpaceAccount space, long guestClusters, int clusterBits) {
        this.space = space;
        this.clusterBits = clusterBits;
        this.owned = new ClusterBits(guestClusters);
        this.promised = new ClusterBits(guestClusters);
    }

    /**
     * Promises space for the clusters of {@code [offset, offset + length)} that a write may allocate: all but those
     * known to be ours or promised already. Returns false, promising nothing, when the account refuses.
     */
    boolean promise(long offset, long length) {
        long first = offset >>> clusterBits;
        long[] marked = new long[(int) (((offset + length - 1) >>> clusterBits) - first + 1)];
        int count = 0;
        for (long cluster = first; cluster < first + marked.length; cluster++) {
            if (!owned.get(cluster) && promised.set(cluster)) {
                marked[count++] = cluster;
            }
        }
        if (count == 0 || space.promise((long) count << clusterBits)) {
            return true;
        }
        for (int i = 0; i < count; i++) {
            promised.clear(marked[i]);
        }
        return false;
    }

    /** The guest cluster has a host cluster of its own: later writes need no promise, and an open one is given back. */
    void owned(long guestCluster) {
        owned.set(guestCluster);
        giveBack(guestCluster);
    }

    /** The guest cluster got a host cluster, newly allocated or not; its promise, if any, is kept by that. */
    void allocated(long guestCluster, boolean newCluster) {
        owned.set(guestCluster);
        long clusterSize = 1L << clusterBits;
        space.allocated(newCluster ? clusterSize : 0, promised.clear(guestCluster) ? clusterSize : 0);
    }

    /** The whole guest cluster was zeroed: it has no host cluster, and a cache above dropped its data. */
    void zeroed(long guestCluster) {
        owned.clear(guestCluster);
        giveBack(guestCluster);
    }

    private void giveBack(long guestCluster) {
        if (promised.clear(guestCluster)) {
            space.cancel(1L << clusterBits);
        }
    }

    /** Gives back every promise still open (the overlay closes). */
    void cancelAll() {
        long open = promised.count();
        if (open > 0) {
            space.cancel(open << clusterBits);
        }
    }
}
