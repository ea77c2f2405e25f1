package dev.jtarget.cache;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * One LUN's dirty index: LUN page number to arena page. A chained hash table whose chains run through the
 * {@link PageTable}, so adding a page allocates nothing; only the bucket array lives on the heap (4 to 16 bytes per
 * cached page), and it shrinks again when the LUN's share of the arena does. Guarded by the LUN's lock.
 */
final class PageIndex {
    private static final int MIN_BUCKETS = 64;

    private final PageTable table;
    private int[] buckets = newBuckets(MIN_BUCKETS);
    private int size;

    PageIndex(PageTable table) {
        this.table = table;
    }

    int size() {
        return size;
    }

    /** The arena page holding {@code lunPage}, or {@link PageTable#NONE}. */
    int get(long lunPage) {
        int page = buckets[bucket(lunPage, buckets.length)];
        while (page != PageTable.NONE && table.lunPage(page) != lunPage) {
            page = table.hashNext(page);
        }
        return page;
    }

    /** Adds {@code page} under its {@link PageTable#lunPage}, which must not be indexed yet. */
    void add(int page) {
        if (size + 1 > buckets.length - (buckets.length >>> 2)) {
            rehash(buckets.length << 1);
        }
        insert(page, buckets);
        size++;
    }

    void remove(int page) {
        int b = bucket(table.lunPage(page), buckets.length);
        int current = buckets[b];
        int previous = PageTable.NONE;
        while (current != page) {
            if (current == PageTable.NONE) {
                throw new IllegalStateException("page " + page + " is not indexed");
            }
            previous = current;
            current = table.hashNext(current);
        }
        if (previous == PageTable.NONE) {
            buckets[b] = table.hashNext(page);
        } else {
            table.hashNext(previous, table.hashNext(page));
        }
        size--;
        if (buckets.length > MIN_BUCKETS && size < buckets.length >>> 3) {
            rehash(buckets.length >>> 1);
        }
    }

    /** Visits every indexed page; {@code action} must not change the index. */
    void forEach(IntConsumer action) {
        for (int head : buckets) {
            for (int page = head; page != PageTable.NONE; page = table.hashNext(page)) {
                action.accept(page);
            }
        }
    }

    private void rehash(int bucketCount) {
        int[] fresh = newBuckets(bucketCount);
        for (int head : buckets) {
            int page = head;
            while (page != PageTable.NONE) {
                int next = table.hashNext(page);
                insert(page, fresh);
                page = next;
            }
        }
        buckets = fresh;
    }

    private void insert(int page, int[] into) {
        int b = bucket(table.lunPage(page), into.length);
        table.hashNext(page, into[b]);
        into[b] = page;
    }

    private static int bucket(long lunPage, int bucketCount) {
        long h = lunPage * 0x9E3779B97F4A7C15L; // Fibonacci hashing: consecutive pages spread over all buckets
        return (int) (h >>> (64 - Integer.numberOfTrailingZeros(bucketCount)));
    }

    private static int[] newBuckets(int count) {
        int[] fresh = new int[count];
        Arrays.fill(fresh, PageTable.NONE);
        return fresh;
    }
}
