package dev.jtarget.cache;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The cache's memory: one off-heap block allocated when the cache starts, carved into fixed-size pages and handed out
 * by a free stack, so allocating and freeing a page is O(1) and creates no garbage. The JVM heap stays small however
 * large the arena is.
 *
 * <p>Pages are addressed by number. The memory is reached through {@link ByteBuffer} views of at most 1 GiB each
 * (a {@code ByteBuffer} cannot exceed 2 GiB), created once; absolute bulk gets and puts on them neither allocate nor
 * move any position, so many threads can copy through the same view at once.
 */
public final class BufferArena implements AutoCloseable {
    private static final int VIEW_SHIFT = 30;

    private final Arena arena = Arena.ofShared();
    private final int pageSize;
    private final int pageShift;
    private final int pageCount;
    private final ByteBuffer[] views;
    private final int[] freeStack;
    private int freeTop;
    private volatile int usedPages;

    /**
     * @param bytes    the arena size; rounded down to whole pages
     * @param pageSize a power of two
     */
    public BufferArena(long bytes, int pageSize) {
        if (pageSize < 512 || Integer.bitCount(pageSize) != 1 || pageSize > 1 << VIEW_SHIFT) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a power of two in [512, 1 GiB]");
        }
        long pages = bytes / pageSize;
        if (pages < 1 || pages > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("an arena of " + bytes + " bytes does not make 1 to 2^31 pages of "
                    + pageSize + " bytes");
        }
        this.pageSize = pageSize;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.pageCount = (int) pages;
        long size = pages * pageSize;
        MemorySegment memory = arena.allocate(size, 4096);
        long viewSize = 1L << VIEW_SHIFT;
        this.views = new ByteBuffer[(int) ((size + viewSize - 1) >>> VIEW_SHIFT)];
        for (int i = 0; i < views.length; i++) {
            long start = (long) i << VIEW_SHIFT;
            views[i] = memory.asSlice(start, Math.min(viewSize, size - start)).asByteBuffer();
        }
        this.freeStack = new int[pageCount];
        // Low page numbers on top, so a lightly used arena touches few distinct pages of memory.
        for (int i = 0; i < pageCount; i++) {
            freeStack[i] = pageCount - 1 - i;
        }
        this.freeTop = pageCount;
    }

    public int pageSize() {
        return pageSize;
    }

    public int pageCount() {
        return pageCount;
    }

    public long capacityBytes() {
        return (long) pageCount * pageSize;
    }

    /** Pages handed out and not yet freed; read without locking, so it may be a moment old. */
    public int usedPages() {
        return usedPages;
    }

    public int freePages() {
        return pageCount - usedPages;
    }

    /**
     * Takes {@code count} pages into {@code into[0..count)}, or none at all when fewer are free.
     *
     * @return whether the pages were taken
     */
    public synchronized boolean allocate(int count, int[] into) {
        if (count > freeTop) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            into[i] = freeStack[--freeTop];
        }
        usedPages = pageCount - freeTop;
        return true;
    }

    public synchronized void free(int page) {
        if (page < 0 || page >= pageCount || freeTop == pageCount) {
            throw new IllegalStateException("page " + page + " is out of range or more pages freed than taken");
        }
        freeStack[freeTop++] = page;
        usedPages = pageCount - freeTop;
    }

    /** Copies {@code length} bytes from {@code source[sourceIndex..]} into the page at {@code offsetInPage}. */
    public void copyIn(int page, int offsetInPage, ByteBuffer source, int sourceIndex, int length) {
        long address = address(page, offsetInPage);
        view(address).put(viewIndex(address), source, sourceIndex, length);
    }

    /** Copies {@code length} bytes of the page at {@code offsetInPage} into {@code destination[destinationIndex..]}. */
    public void copyOut(int page, int offsetInPage, ByteBuffer destination, int destinationIndex, int length) {
        long address = address(page, offsetInPage);
        destination.put(destinationIndex, view(address), viewIndex(address), length);
    }

    /** Copies a whole page (copy-on-write of a page whose old contents are still being written back). */
    public void copyPage(int fromPage, int toPage) {
        long from = address(fromPage, 0);
        long to = address(toPage, 0);
        view(to).put(viewIndex(to), view(from), viewIndex(from), pageSize);
    }

    /** A view of part of a page, for handing to a backend in a gathered write. */
    public ByteBuffer slice(int page, int offsetInPage, int length) {
        long address = address(page, offsetInPage);
        return view(address).slice(viewIndex(address), length);
    }

    private long address(int page, int offsetInPage) {
        return ((long) page << pageShift) + offsetInPage;
    }

    private ByteBuffer view(long address) {
        return views[(int) (address >>> VIEW_SHIFT)];
    }

    private static int viewIndex(long address) {
        return (int) (address & ((1L << VIEW_SHIFT) - 1));
    }

    /** Releases the memory. Nobody may touch a page afterwards. */
    @Override
    public void close() {
        arena.close();
    }
}
