package dev.jtarget.cache;

/**
 * One LUN's pages waiting to be written back, oldest first: a page joins at the tail when it first becomes dirty (or
 * when a failed or blocked write-back returns it), and leaves when a flusher takes it. Linked through the
 * {@link PageTable}, so it allocates nothing. Pages in flight or blocked behind an older copy are not on it.
 * Guarded by the LUN's lock.
 */
final class DirtyList {
    private final PageTable table;
    private int head = PageTable.NONE;
    private int tail = PageTable.NONE;
    private int size;

    DirtyList(PageTable table) {
        this.table = table;
    }

    int head() {
        return head;
    }

    int next(int page) {
        return table.listNext(page);
    }

    int size() {
        return size;
    }

    void append(int page) {
        if (table.has(page, PageTable.LISTED)) {
            throw new IllegalStateException("page " + page + " is already on the dirty list");
        }
        table.set(page, PageTable.LISTED);
        table.listPrev(page, tail);
        table.listNext(page, PageTable.NONE);
        if (tail == PageTable.NONE) {
            head = page;
        } else {
            table.listNext(tail, page);
        }
        tail = page;
        size++;
    }

    /** Takes {@code page} off the list if it is on it. */
    void remove(int page) {
        if (!table.has(page, PageTable.LISTED)) {
            return;
        }
        int prev = table.listPrev(page);
        int next = table.listNext(page);
        if (prev == PageTable.NONE) {
            head = next;
        } else {
            table.listNext(prev, next);
        }
        if (next == PageTable.NONE) {
            tail = prev;
        } else {
            table.listPrev(next, prev);
        }
        table.clear(page, PageTable.LISTED);
        size--;
    }
}
