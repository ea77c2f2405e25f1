package dev.jtarget.cache;

import java.util.Arrays;

/**
 * How many of a LUN's dirty pages hold unwritten data from each sync epoch, so that a SYNCHRONIZE CACHE can wait for
 * exactly the data acknowledged before it without scanning the cache.
 *
 * <p>A LUN's epoch advances each time a flush or FUA write starts waiting: data written before belongs to the old
 * epoch, data written after to the new one. A page carries the epoch of its oldest unwritten data, so "everything
 * before epoch E is written back" is "no dirty page has an epoch at or below E", which is {@link #oldest()} &gt; E.
 *
 * <p>Pages only ever join the newest epoch, so the entries stay sorted by appending; an entry is dropped once its count
 * is zero and nothing older is left. Guarded by the LUN's lock.
 */
final class EpochCounts {
    private long[] epochs = new long[16];
    private int[] counts = new int[16];
    private int first;
    private int end;

    /** A page became dirty in {@code epoch}, the newest epoch so far. */
    void increment(long epoch) {
        if (end > first && epochs[end - 1] == epoch) {
            counts[end - 1]++;
            return;
        }
        if (end > first && epochs[end - 1] > epoch) {
            throw new IllegalStateException("epoch " + epoch + " is older than " + epochs[end - 1]);
        }
        if (end == epochs.length) {
            makeRoom();
        }
        epochs[end] = epoch;
        counts[end] = 1;
        end++;
    }

    /** A page of {@code epoch} was written back or dropped. */
    void decrement(long epoch) {
        int i = Arrays.binarySearch(epochs, first, end, epoch);
        if (i < 0 || counts[i] == 0) {
            throw new IllegalStateException("no dirty page of epoch " + epoch);
        }
        counts[i]--;
        while (first < end && counts[first] == 0) {
            first++;
        }
        if (first == end) {
            first = 0;
            end = 0;
        }
    }

    /** The oldest epoch that still has dirty pages, or {@link Long#MAX_VALUE} when there are none. */
    long oldest() {
        return first < end ? epochs[first] : Long.MAX_VALUE;
    }

    private void makeRoom() {
        int live = 0;
        for (int i = first; i < end; i++) {
            if (counts[i] != 0) {
                epochs[live] = epochs[i];
                counts[live] = counts[i];
                live++;
            }
        }
        first = 0;
        end = live;
        if (live > epochs.length - (epochs.length >>> 2)) {
            epochs = Arrays.copyOf(epochs, epochs.length << 1);
            counts = Arrays.copyOf(counts, counts.length << 1);
        }
    }
}
