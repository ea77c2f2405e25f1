package dev.jtarget.cache;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A set of one LUN's dirty pages written back together. Pages are taken oldest first from the dirty list, each
 * together with its dirty neighbours, so that adjacent pages go out as one large gathered write; the writes are issued
 * in ascending LBA order (one elevator sweep). Taking a page marks it in flight, which freezes it until
 * {@link LunWriteBack#complete} settles the batch. A batch needs no arena memory: it writes from the pages it took.
 */
final class FlushBatch {
    /** Why a flusher writes a LUN back, in priority order. */
    enum Mode {
        /** A SYNCHRONIZE CACHE or a close waits: write everything. */
        URGENT,
        /** Dirty data is older than the expiry time: write what expired (and its neighbours). */
        EXPIRED,
        /** The arena is above the background ratio: write the oldest data. */
        BACKGROUND
    }

    private record Write(long offset, int bytes, ByteBuffer[] parts, int firstPage, int lastPage) {
    }

    /**
     * The most a flusher takes at once. Taking and settling pages happens under the LUN's lock, which writers on the
     * event loops need too; 8 MiB keeps that to about a tenth of a millisecond, and is still 4 GB/s per flusher over a
     * backend with 2 ms latency.
     */
    private static final int MAX_BATCH_BYTES = 8 << 20;

    private final LunCache lun;
    private final int[] pages;
    private final int pageCount;
    private final boolean[] failed;
    private final List<Write> writes = new ArrayList<>();
    private final boolean[] writeFailed;
    private final AtomicInteger remaining;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    /** Takes pages for a flusher, or returns null when the LUN has nothing to write in this mode. */
    static FlushBatch takeLocked(LunCache lun, Mode mode, long now) {
        Collector collector = new Collector(lun);
        long expiredBefore = now - lun.tuning.dirtyExpire().toNanos();
        int maxPages = Math.max(1, MAX_BATCH_BYTES / lun.pageSize);
        while (collector.groupCount < lun.tuning.maxBatchWrites() && collector.pageCount < maxPages) {
            int seed = lun.dirty.head();
            while (seed != PageTable.NONE && lun.waiters.holdsLocked(seed)) {
                seed = lun.dirty.next(seed);
            }
            if (seed == PageTable.NONE || mode == Mode.EXPIRED && lun.table.dirtySince(seed) - expiredBefore > 0) {
                break;
            }
            collector.takeAround(seed);
        }
        return collector.groupCount == 0 ? null : new FlushBatch(lun, collector);
    }

    /** Takes exactly the given listed pages (a FUA write waiting for them). */
    static FlushBatch takePagesLocked(LunCache lun, int[] pages, int count) {
        long[] lunPages = new long[count];
        for (int i = 0; i < count; i++) {
            lunPages[i] = lun.table.lunPage(pages[i]);
        }
        Arrays.sort(lunPages);
        Collector collector = new Collector(lun);
        for (int i = 0; i < count; i++) {
            boolean continues = i > 0 && lunPages[i] == lunPages[i - 1] + 1
                    && collector.pageCount - collector.groupStarts[collector.groupCount - 1] < collector.maxPages;
            if (!continues) {
                collector.startGroup();
            }
            collector.take(lun.index.get(lunPages[i]));
        }
        return new FlushBatch(lun, collector);
    }

    /** Groups of consecutive LUN pages taken under the lock. */
    private static final class Collector {
        private final LunCache lun;
        private final int maxPages;
        private int[] pages = new int[64];
        private int pageCount;
        private int[] groupStarts = new int[8];
        private int groupCount;

        Collector(LunCache lun) {
            this.lun = lun;
            this.maxPages = lun.tuning.maxWriteBytes() / lun.pageSize;
        }

        /** Takes {@code seed} with the writable pages right before and after it, up to one write's worth. */
        void takeAround(int seed) {
            long first = lun.table.lunPage(seed);
            long last = first;
            while (last - first + 1 < maxPages && first > 0 && writable(lun.index.get(first - 1))) {
                first--;
            }
            while (last - first + 1 < maxPages && writable(lun.index.get(last + 1))) {
                last++;
            }
            startGroup();
            for (long lunPage = first; lunPage <= last; lunPage++) {
                take(lun.index.get(lunPage));
            }
        }

        private boolean writable(int page) {
            return page != PageTable.NONE && lun.table.has(page, PageTable.LISTED) && !lun.waiters.holdsLocked(page);
        }

        void startGroup() {
            if (groupCount == groupStarts.length) {
                groupStarts = Arrays.copyOf(groupStarts, groupCount * 2);
            }
            groupStarts[groupCount++] = pageCount;
        }

        void take(int page) {
            lun.dirty.remove(page);
            lun.table.set(page, PageTable.IN_FLIGHT);
            if (pageCount == pages.length) {
                pages = Arrays.copyOf(pages, pageCount * 2);
            }
            pages[pageCount++] = page;
        }

        int groupEnd(int group) {
            return group + 1 < groupCount ? groupStarts[group + 1] : pageCount;
        }
    }

    private FlushBatch(LunCache lun, Collector collector) {
        this.lun = lun;
        this.pages = collector.pages;
        this.pageCount = collector.pageCount;
        this.failed = new boolean[pageCount];
        Integer[] order = new Integer[collector.groupCount];
        for (int group = 0; group < order.length; group++) {
            order[group] = group;
        }
        Arrays.sort(order, (a, b) -> Long.compare(lun.table.lunPage(pages[collector.groupStarts[a]]),
                lun.table.lunPage(pages[collector.groupStarts[b]])));
        for (int group : order) {
            addWrites(collector.groupStarts[group], collector.groupEnd(group));
        }
        this.writeFailed = new boolean[writes.size()];
        this.remaining = new AtomicInteger(writes.size());
    }

    /**
     * Turns pages {@code [start, end)} (consecutive LUN pages) into gathered writes: one per run of valid blocks,
     * crossing page boundaries where the data is contiguous, each at most {@link CacheTuning#maxWriteBytes()}.
     */
    private void addWrites(int start, int end) {
        int maxBytes = lun.tuning.maxWriteBytes();
        List<ByteBuffer> parts = new ArrayList<>();
        long runOffset = -1;
        int runBytes = 0;
        int runFirst = 0;
        int runLast = 0;
        for (int i = start; i < end; i++) {
            int page = pages[i];
            long base = lun.table.lunPage(page) << lun.pageShift;
            long mask = lun.table.validBlocks(page);
            while (mask != 0) {
                int firstBlock = Long.numberOfTrailingZeros(mask);
                int blocks = Long.numberOfTrailingZeros(~(mask >>> firstBlock));
                mask &= ~LunCache.blockMask(firstBlock, firstBlock + blocks);
                int inPage = firstBlock << lun.blockShift;
                int bytes = blocks << lun.blockShift;
                long offset = base + inPage;
                if (runOffset < 0 || runOffset + runBytes != offset || runBytes + bytes > maxBytes) {
                    if (runOffset >= 0) {
                        writes.add(new Write(runOffset, runBytes, parts.toArray(new ByteBuffer[0]), runFirst, runLast));
                        parts.clear();
                    }
                    runOffset = offset;
                    runBytes = 0;
                    runFirst = i;
                }
                parts.add(lun.arena.slice(page, inPage, bytes));
                runBytes += bytes;
                runLast = i;
            }
        }
        if (runOffset >= 0) {
            writes.add(new Write(runOffset, runBytes, parts.toArray(new ByteBuffer[0]), runFirst, runLast));
        }
    }

    /** Hands the writes to the backend; the last one to finish settles the batch. Call without holding locks. */
    void issue() {
        if (writes.isEmpty()) {
            lun.writeBack.complete(this);
            return;
        }
        for (int i = 0; i < writes.size(); i++) {
            Write write = writes.get(i);
            int number = i;
            Failures.call(() -> lun.backend.write(write.offset, write.parts, false))
                    .whenComplete((ignored, error) -> finished(number, error));
        }
    }

    private void finished(int number, Throwable error) {
        if (error != null) {
            Write write = writes.get(number);
            writeFailed[number] = true;
            failure.compareAndSet(null, error);
            for (int i = write.firstPage; i <= write.lastPage; i++) {
                failed[i] = true;
            }
        }
        // The decrement publishes this thread's marks to whoever settles the batch.
        if (remaining.decrementAndGet() == 0) {
            lun.writeBack.complete(this);
        }
    }

    /** Completes once the batch is settled; flushers wait on it to bound the writes they keep in flight. */
    CompletableFuture<Void> done() {
        return done;
    }

    int pageCount() {
        return pageCount;
    }

    int page(int i) {
        return pages[i];
    }

    boolean failed(int i) {
        return failed[i];
    }

    Throwable failure() {
        return failure.get();
    }

    int writeCount() {
        return writes.size();
    }

    int failedWrites() {
        int count = 0;
        for (boolean f : writeFailed) {
            if (f) {
                count++;
            }
        }
        return count;
    }

    long bytesWritten() {
        long bytes = 0;
        for (int i = 0; i < writes.size(); i++) {
            if (!writeFailed[i]) {
                bytes += writes.get(i).bytes;
            }
        }
        return bytes;
    }
}
