package dev.jtarget.cache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the cache knows about each arena page, kept off-heap (48 bytes a page, about 1 % of a 4 KiB page) so that a
 * multi-gigabyte arena does not need a large JVM heap. Indexed by arena page number.
 *
 * <p>A page belongs to one LUN while it is allocated, and only that LUN's lock guards its entries; ownership passes
 * through the arena's free stack, whose lock orders the accesses of successive owners.
 *
 * <p>Every allocated page is dirty: it holds data the backend has not (yet, or successfully) accepted. A page whose
 * write-back succeeds is freed, not kept as a read cache.
 */
final class PageTable implements AutoCloseable {
    /** A backend write of the page is in flight; the page must not change until it completes. */
    static final int IN_FLIGHT = 1;
    /** The page was replaced in its LUN's index by a newer copy while in flight; freed when the write completes. */
    static final int DETACHED = 2;
    /** A copy whose older version is still in flight: not written back until that write completes. */
    static final int BLOCKED = 4;
    /** The last write-back of this data failed; the data is pinned until a retry succeeds. */
    static final int FAILED = 8;
    /** The page is on its LUN's dirty list (waiting to be written back). */
    static final int LISTED = 16;

    static final int NONE = -1;

    private static final int LONGS = 4;
    private static final int LUN_PAGE = 0;
    private static final int VALID = 1;
    private static final int EPOCH = 2;
    private static final int DIRTY_SINCE = 3;
    private static final int INTS = 4;
    private static final int FLAGS = 0;
    private static final int HASH_NEXT = 1;
    private static final int LIST_NEXT = 2;
    private static final int LIST_PREV = 3;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment longs;
    private final MemorySegment ints;

    PageTable(int pageCount) {
        this.longs = arena.allocate((long) pageCount * LONGS * Long.BYTES, Long.BYTES);
        this.ints = arena.allocate((long) pageCount * INTS * Integer.BYTES, Integer.BYTES);
    }

    /** Makes {@code page} the fresh, empty, unlisted page for {@code lunPage} (the page-sized slot of its LUN). */
    void init(int page, long lunPage, long epoch, long dirtySince) {
        setLong(page, LUN_PAGE, lunPage);
        setLong(page, VALID, 0);
        setLong(page, EPOCH, epoch);
        setLong(page, DIRTY_SINCE, dirtySince);
        setInt(page, FLAGS, 0);
        setInt(page, HASH_NEXT, NONE);
        setInt(page, LIST_NEXT, NONE);
        setInt(page, LIST_PREV, NONE);
    }

    /** The LUN page number: the page holds LUN bytes {@code [lunPage * pageSize, (lunPage + 1) * pageSize)}. */
    long lunPage(int page) {
        return getLong(page, LUN_PAGE);
    }

    /** Bit i set: block i of the page holds data (a page can be partly written when blocks are smaller). */
    long validBlocks(int page) {
        return getLong(page, VALID);
    }

    void validBlocks(int page, long mask) {
        setLong(page, VALID, mask);
    }

    /** The LUN sync epoch of the oldest data in the page not yet written back (see {@link EpochCounts}). */
    long epoch(int page) {
        return getLong(page, EPOCH);
    }

    void epoch(int page, long epoch) {
        setLong(page, EPOCH, epoch);
    }

    /** {@link System#nanoTime()} when the oldest data in the page not yet written back was written. */
    long dirtySince(int page) {
        return getLong(page, DIRTY_SINCE);
    }

    void dirtySince(int page, long nanos) {
        setLong(page, DIRTY_SINCE, nanos);
    }

    boolean has(int page, int flag) {
        return (getInt(page, FLAGS) & flag) != 0;
    }

    void set(int page, int flag) {
        setInt(page, FLAGS, getInt(page, FLAGS) | flag);
    }

    void clear(int page, int flag) {
        setInt(page, FLAGS, getInt(page, FLAGS) & ~flag);
    }

    int hashNext(int page) {
        return getInt(page, HASH_NEXT);
    }

    void hashNext(int page, int next) {
        setInt(page, HASH_NEXT, next);
    }

    int listNext(int page) {
        return getInt(page, LIST_NEXT);
    }

    void listNext(int page, int next) {
        setInt(page, LIST_NEXT, next);
    }

    int listPrev(int page) {
        return getInt(page, LIST_PREV);
    }

    void listPrev(int page, int prev) {
        setInt(page, LIST_PREV, prev);
    }

    private long getLong(int page, int field) {
        return longs.getAtIndex(ValueLayout.JAVA_LONG, (long) page * LONGS + field);
    }

    private void setLong(int page, int field, long value) {
        longs.setAtIndex(ValueLayout.JAVA_LONG, (long) page * LONGS + field, value);
    }

    private int getInt(int page, int field) {
        return ints.getAtIndex(ValueLayout.JAVA_INT, (long) page * INTS + field);
    }

    private void setInt(int page, int field, int value) {
        ints.setAtIndex(ValueLayout.JAVA_INT, (long) page * INTS + field, value);
    }

    @Override
    public void close() {
        arena.close();
    }
}
