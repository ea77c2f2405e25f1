package dev.jtarget.backend.qcow2;

import java.util.concurrent.atomic.AtomicLongArray;

/** One bit per guest cluster, set and cleared atomically without a lock: 2 KiB per GiB of guest disk at 64 KiB clusters. */
final class ClusterBits {
    private final AtomicLongArray words;

    ClusterBits(long clusters) {
        this.words = new AtomicLongArray(Math.toIntExact((clusters + 63) >>> 6));
    }

    boolean get(long cluster) {
        return (words.get((int) (cluster >>> 6)) & (1L << cluster)) != 0;
    }

    /** Sets the bit; returns whether it was clear before. */
    boolean set(long cluster) {
        long bit = 1L << cluster;
        return (words.getAndUpdate((int) (cluster >>> 6), word -> word | bit) & bit) == 0;
    }

    /** Clears the bit; returns whether it was set before. */
    boolean clear(long cluster) {
        long bit = 1L << cluster;
        return (words.getAndUpdate((int) (cluster >>> 6), word -> word & ~bit) & bit) != 0;
    }

    /** The number of bits set. */
    long count() {
        long count = 0;
        for (int i = 0; i < words.length(); i++) {
            count += Long.bitCount(words.get(i));
        }
        return count;
    }
}
