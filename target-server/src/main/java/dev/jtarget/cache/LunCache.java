package dev.jtarget.cache;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One LUN's share of the cache: its dirty index, dirty list and sync epochs, and the page operations on them (its
 * write-back progress is in {@link LunWriteBack}, what waits on it in {@link SyncWaiters}). Everything here runs under
 * {@link #lock} (methods ending in {@code Locked}); the caller turns what must happen afterwards into an
 * {@link Outbox}.
 *
 * <p>The LUN is cut into page-sized slots ("LUN pages"); a cached slot maps to one arena page whose valid-block mask
 * says which of its blocks hold data. A page never changes while a backend write of it is in flight: a write landing
 * on such a page goes to a fresh copy instead (copy-on-write), which stays blocked until the older write completes, so
 * the backend never receives a torn mix of two versions and never receives them out of order. That is what keeps a
 * block synchronized by SYNCHRONIZE CACHE intact even while later, unsynchronized writes to it are being flushed.
 */
final class LunCache {
    final WriteBackCache cache;
    final BlockBackend backend;
    final String name;
    final ReentrantLock lock = new ReentrantLock();
    final CacheTuning tuning;
    final BufferArena arena;
    final PageTable table;
    final PageIndex index;
    final DirtyList dirty;
    final EpochCounts epochs = new EpochCounts();
    final SyncWaiters waiters;
    final int pageSize;
    final int pageShift;
    final int blockSize;
    final int blockShift;
    final long sizeBytes;

    /** Data written from now on belongs to this sync epoch (see {@link EpochCounts}). */
    long currentEpoch = 1;
    private int[] scratch = new int[64];

    final LunWriteBack writeBack;
    int failedPages;
    int queuedWrites;
    boolean closing;
    /** Closed although the backend refused data: whatever is still cached is dropped as soon as it settles. */
    boolean abandoned;
    /** Arena pages this LUN holds: indexed pages plus old copies still in flight. */
    int pagesHeld;
    private long validBlocks;

    long writes;
    long writtenBytes;
    long absorbedBytes;
    long writeThroughs;
    long writersWaited;
    long writersThrottled;

    LunCache(WriteBackCache cache, BlockBackend backend, String name) {
        this.cache = cache;
        this.backend = backend;
        this.name = name;
        this.tuning = cache.tuning();
        this.arena = cache.arena();
        this.table = cache.pageTable();
        this.index = new PageIndex(table);
        this.dirty = new DirtyList(table);
        this.waiters = new SyncWaiters(this);
        this.writeBack = new LunWriteBack(this);
        this.pageSize = arena.pageSize();
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.blockSize = backend.blockSize();
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.sizeBytes = backend.sizeBytes();
        if (Integer.bitCount(blockSize) != 1 || blockSize > pageSize || pageSize / blockSize > Long.SIZE) {
            throw new IllegalArgumentException(name + ": block size " + blockSize + " does not fit cache pages of "
                    + pageSize + " bytes (power of two, at most 64 blocks a page)");
        }
    }

    /** A scratch array for {@code count} new page numbers, reused under the lock so writes allocate nothing. */
    int[] scratchLocked(int count) {
        if (scratch.length < count) {
            scratch = new int[Math.max(count, scratch.length * 2)];
        }
        return scratch;
    }

    /** Arena pages a write of the range needs: one per slot not cached yet or cached but in flight. */
    int pagesNeededLocked(long offset, long length) {
        int need = 0;
        for (long lunPage = offset >>> pageShift, last = (offset + length - 1) >>> pageShift; lunPage <= last;
                lunPage++) {
            int page = index.get(lunPage);
            if (page == PageTable.NONE || table.has(page, PageTable.IN_FLIGHT)) {
                need++;
            }
        }
        return need;
    }

    /** The end of the longest prefix of {@code [from, end)} that needs at most {@code pages} new arena pages. */
    long reachableWithLocked(long from, long end, int pages) {
        int need = 0;
        long position = from;
        while (position < end) {
            int page = index.get(position >>> pageShift);
            if (page == PageTable.NONE || table.has(page, PageTable.IN_FLIGHT)) {
                if (need == pages) {
                    break;
                }
                need++;
            }
            position = Math.min(end, ((position >>> pageShift) + 1) << pageShift);
        }
        return position;
    }

    boolean anyCachedLocked(long offset, long length) {
        if (index.size() == 0) {
            return false;
        }
        long first = offset >>> pageShift;
        long last = (offset + length - 1) >>> pageShift;
        if (last - first >= index.size() * 2L) {
            return pagesInRangeLocked(offset, offset + length).length != 0;
        }
        for (long lunPage = first; lunPage <= last; lunPage++) {
            if (index.get(lunPage) != PageTable.NONE) {
                return true;
            }
        }
        return false;
    }

    /**
     * Copies bytes {@code [skip, skip + length)} of a write starting at LUN byte {@code writeOffset} into the cache,
     * taking fresh arena pages from {@code newPages} in order (as many as {@link #pagesNeededLocked} said). Writing
     * over data that is still dirty replaces it in place: that data never reaches the backend (absorption).
     */
    void applyLocked(long writeOffset, ByteBuffer[] sources, long skip, long length, int[] newPages) {
        int source = 0;
        int sourceIndex = sources[0].position();
        long toSkip = skip;
        while (toSkip > 0) {
            int available = sources[source].limit() - sourceIndex;
            if (toSkip < available) {
                sourceIndex += (int) toSkip;
                toSkip = 0;
            } else {
                toSkip -= available;
                source++;
                sourceIndex = sources[source].position();
            }
        }
        long now = System.nanoTime();
        int taken = 0;
        long position = writeOffset + skip;
        long end = position + length;
        while (position < end) {
            long lunPage = position >>> pageShift;
            int inPage = (int) (position & (pageSize - 1));
            int bytes = (int) Math.min(pageSize - inPage, end - position);
            long blocks = blockMask(inPage >>> blockShift, (inPage + bytes) >>> blockShift);
            int page = index.get(lunPage);
            if (page == PageTable.NONE) {
                page = newPages[taken++];
                table.init(page, lunPage, currentEpoch, now);
                index.add(page);
                epochs.increment(currentEpoch);
                dirty.append(page);
                pagesHeld++;
            } else if (table.has(page, PageTable.IN_FLIGHT)) {
                page = copyOnWriteLocked(page, newPages[taken++], blocks, now);
            } else {
                absorbedBytes += (long) Long.bitCount(table.validBlocks(page) & blocks) << blockShift;
            }
            int copied = 0;
            while (copied < bytes) {
                ByteBuffer from = sources[source];
                int available = from.limit() - sourceIndex;
                if (available == 0) {
                    source++;
                    sourceIndex = sources[source].position();
                    continue;
                }
                int chunk = Math.min(available, bytes - copied);
                arena.copyIn(page, inPage + copied, from, sourceIndex, chunk);
                sourceIndex += chunk;
                copied += chunk;
            }
            long valid = table.validBlocks(page);
            validBlocks += Long.bitCount(blocks & ~valid);
            table.validBlocks(page, valid | blocks);
            position += bytes;
        }
        writtenBytes += length;
    }

    /**
     * Replaces in-flight page {@code old} in the index by a copy in {@code fresh} that the write can change. The copy
     * joins the current epoch for its new data; the old page keeps its epoch until its write completes, when it either
     * lands (the copy then only holds newer data) or fails (the copy inherits the old epoch, see
     * {@link LunWriteBack#complete}).
     */
    private int copyOnWriteLocked(int old, int fresh, long blocks, long now) {
        long oldValid = table.validBlocks(old);
        if ((oldValid & ~blocks) != 0) {
            arena.copyPage(old, fresh);
        }
        absorbedBytes += (long) Long.bitCount(oldValid & blocks) << blockShift;
        table.init(fresh, table.lunPage(old), currentEpoch, now);
        table.validBlocks(fresh, oldValid);
        table.set(fresh, PageTable.BLOCKED);
        table.set(old, PageTable.DETACHED);
        index.remove(old);
        index.add(fresh);
        epochs.increment(currentEpoch);
        pagesHeld++;
        return fresh;
    }

    /** Where a read must go to the backend after the cached blocks were copied. */
    static final class ReadGaps {
        long[] offsets = new long[4];
        int[] lengths = new int[4];
        int count;

        void add(long offset, int length) {
            if (count > 0 && offsets[count - 1] + lengths[count - 1] == offset) {
                lengths[count - 1] += length;
                return;
            }
            if (count == offsets.length) {
                offsets = Arrays.copyOf(offsets, count * 2);
                lengths = Arrays.copyOf(lengths, count * 2);
            }
            offsets[count] = offset;
            lengths[count] = length;
            count++;
        }
    }

    /**
     * Copies every cached block of {@code [offset, offset + destination.remaining())} into {@code destination} and
     * returns the ranges the backend must fill in, or null when nothing of the range is cached. Blocks not cached now
     * are on the backend already (a page leaves the index only after its write-back completed), so together the two
     * give the last acknowledged data.
     */
    ReadGaps readLocked(long offset, ByteBuffer destination) {
        int length = destination.remaining();
        if (!anyCachedLocked(offset, length)) {
            return null;
        }
        ReadGaps gaps = new ReadGaps();
        int base = destination.position();
        long position = offset;
        long end = offset + length;
        while (position < end) {
            long lunPage = position >>> pageShift;
            int inPage = (int) (position & (pageSize - 1));
            int bytes = (int) Math.min(pageSize - inPage, end - position);
            int page = index.get(lunPage);
            if (page == PageTable.NONE) {
                gaps.add(position, bytes);
            } else {
                long valid = table.validBlocks(page);
                int block = inPage >>> blockShift;
                int endBlock = (inPage + bytes) >>> blockShift;
                while (block < endBlock) {
                    boolean cached = (valid & (1L << block)) != 0;
                    int runEnd = block + 1;
                    while (runEnd < endBlock && ((valid & (1L << runEnd)) != 0) == cached) {
                        runEnd++;
                    }
                    int runOffset = block << blockShift;
                    int runBytes = (runEnd - block) << blockShift;
                    long runPosition = (lunPage << pageShift) + runOffset;
                    if (cached) {
                        arena.copyOut(page, runOffset, destination, base + (int) (runPosition - offset), runBytes);
                    } else {
                        gaps.add(runPosition, runBytes);
                    }
                    block = runEnd;
                }
            }
            position += bytes;
        }
        return gaps;
    }

    /** The arena pages caching any part of {@code [from, to)}, in no particular order. */
    int[] pagesInRangeLocked(long from, long to) {
        long first = from >>> pageShift;
        long last = (to - 1) >>> pageShift;
        int[] found = new int[(int) Math.min(index.size(), last - first + 1)];
        int count = 0;
        if (last - first < index.size() * 2L) {
            for (long lunPage = first; lunPage <= last && count < found.length; lunPage++) {
                int page = index.get(lunPage);
                if (page != PageTable.NONE) {
                    found[count++] = page;
                }
            }
        } else {
            // A huge range (an UNMAP of the whole LUN): walking the index beats probing every slot.
            int[] all = new int[index.size()];
            int[] at = {0};
            index.forEach(page -> all[at[0]++] = page);
            for (int page : all) {
                long lunPage = table.lunPage(page);
                if (lunPage >= first && lunPage <= last) {
                    found[count++] = page;
                }
            }
        }
        return count == found.length ? found : Arrays.copyOf(found, count);
    }

    /** The blocks of {@code page} that lie in {@code [from, to)}. */
    long blocksInRange(int page, long from, long to) {
        long start = table.lunPage(page) << pageShift;
        long a = Math.max(from, start) - start;
        long b = Math.min(to, start + pageSize) - start;
        return blockMask((int) (a >>> blockShift), (int) (b >>> blockShift));
    }

    /** Whether a write-back touching {@code [from, to)} is in flight (a discard must not overtake it). */
    boolean writeBackInFlightLocked(long from, long to) {
        for (int page : pagesInRangeLocked(from, to)) {
            if (table.has(page, PageTable.IN_FLIGHT) || table.has(page, PageTable.BLOCKED)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Forgets every cached block in {@code [from, to)}; none of them may be in flight.
     *
     * @return the oldest epoch of the data dropped, or {@link Long#MAX_VALUE} when nothing was cached
     */
    long dropRangeLocked(long from, long to, Outbox outbox) {
        long oldest = Long.MAX_VALUE;
        for (int page : pagesInRangeLocked(from, to)) {
            long valid = table.validBlocks(page);
            long dropped = valid & blocksInRange(page, from, to);
            if (dropped != 0) {
                oldest = Math.min(oldest, table.epoch(page));
            }
            if (dropped == valid) {
                releaseLocked(page, outbox);
            } else {
                table.validBlocks(page, valid & ~dropped);
                validBlocks -= Long.bitCount(dropped);
            }
        }
        return oldest;
    }

    /** Takes an indexed page out of the cache and frees it. */
    void releaseLocked(int page, Outbox outbox) {
        index.remove(page);
        dirty.remove(page);
        epochs.decrement(table.epoch(page));
        validBlocks -= Long.bitCount(table.validBlocks(page));
        markFailedLocked(page, false);
        freeLocked(page, outbox);
    }

    void freeLocked(int page, Outbox outbox) {
        arena.free(page);
        pagesHeld--;
        outbox.pagesFreed();
    }

    void markFailedLocked(int page, boolean failed) {
        if (failed != table.has(page, PageTable.FAILED)) {
            if (failed) {
                table.set(page, PageTable.FAILED);
                failedPages++;
            } else {
                table.clear(page, PageTable.FAILED);
                failedPages--;
            }
        }
    }

    /**
     * Gives up on data the backend refuses (a close that timed out): fails its waiters and frees every page not in
     * flight; pages in flight are freed when their writes settle.
     */
    void abandonLocked(BackendException error, Outbox outbox) {
        abandoned = true;
        queuedWrites = 0;
        waiters.failAllLocked(error, outbox);
        releaseSettledLocked(outbox);
    }

    void releaseSettledLocked(Outbox outbox) {
        int[] all = new int[index.size()];
        int[] count = {0};
        index.forEach(page -> all[count[0]++] = page);
        for (int page : all) {
            if (!table.has(page, PageTable.IN_FLIGHT) && !table.has(page, PageTable.BLOCKED)) {
                releaseLocked(page, outbox);
            }
        }
    }

    /** Dirty data not yet written back, in bytes. */
    long dirtyBytesLocked() {
        return validBlocks << blockShift;
    }

    boolean cleanLocked() {
        return pagesHeld == 0 && queuedWrites == 0 && !waiters.passthroughsInFlightLocked();
    }

    CacheStatistics statisticsLocked(long now) {
        return new CacheStatistics(name, now, arena.capacityBytes(), (long) pagesHeld * pageSize, dirtyBytesLocked(),
                (long) failedPages * pageSize, writes, writtenBytes, absorbedBytes, writeThroughs, writersWaited,
                writersThrottled, writeBack.flushedBytes, writeBack.flushWrites, writeBack.backendErrors);
    }

    /** Bits {@code [first, end)} of a block mask. */
    static long blockMask(int first, int end) {
        int count = end - first;
        return count == Long.SIZE ? -1L : ((1L << count) - 1) << first;
    }
}
