package dev.jtarget.cache;

import static dev.jtarget.cache.CacheTestSupport.BLOCK;
import static dev.jtarget.cache.CacheTestSupport.LUN_BYTES;
import static dev.jtarget.cache.CacheTestSupport.PAGE;
import static dev.jtarget.cache.CacheTestSupport.QUIET;
import static dev.jtarget.cache.CacheTestSupport.await;
import static dev.jtarget.cache.CacheTestSupport.buffers;
import static dev.jtarget.cache.CacheTestSupport.join;
import static dev.jtarget.cache.CacheTestSupport.pattern;
import static dev.jtarget.cache.CacheTestSupport.read;
import static dev.jtarget.cache.CacheTestSupport.slice;
import static dev.jtarget.cache.CacheTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BlockBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cache under memory pressure and over time: watermarks, throttling, a full arena, expiry. */
class WriteBackPressureTest {
    private final List<WriteBackCache> caches = new ArrayList<>();
    private final List<RecordingBackend> disks = new ArrayList<>();

    @AfterEach
    void closeCaches() {
        disks.forEach(RecordingBackend::release);
        caches.forEach(WriteBackCache::close);
    }

    private BlockBackend lun(RecordingBackend disk, int arenaPages, CacheTuning tuning) {
        WriteBackCache cache = new WriteBackCache((long) arenaPages * PAGE, 2, tuning);
        caches.add(cache);
        disks.add(disk);
        return cache.attach(disk, "lun0");
    }

    @Test
    void writersWaitWhileTheArenaIsFullAndProceedOnceWriteBackFreesPages() {
        RecordingBackend disk = new RecordingBackend(LUN_BYTES, BLOCK);
        BlockBackend lun = lun(disk, 16, QUIET);
        disk.hold();
        for (int page = 0; page < 16; page++) {
            join(lun.write((long) page * 2 * PAGE, buffers(pattern(PAGE, page)), false));
        }

        CompletableFuture<Void> waiting = lun.write(40L * PAGE, buffers(pattern(PAGE, 40)), false);
        CompletableFuture<Void> flushed = lun.flush();
        assertFalse(waiting.isDone(), "no page is free until write-back completes");
        assertEquals(1, ((CachedBackend) lun).statistics().writersWaited());
        await(() -> disk.held() > 0, "write-back started without needing memory");
        disk.release();
        join(waiting);
        join(flushed);

        assertArrayEquals(pattern(PAGE, 40), read(lun, 40L * PAGE, PAGE));
        for (int page = 0; page < 16; page++) {
            assertArrayEquals(pattern(PAGE, page), slice(disk.durable(), (long) page * 2 * PAGE, PAGE));
        }
    }

    @Test
    void writeLargerThanTheWholeArenaGetsThroughInSteps() {
        RecordingBackend disk = new RecordingBackend(LUN_BYTES, BLOCK, 200);
        BlockBackend lun = lun(disk, 16, CacheTestSupport.DEFAULTS);
        byte[] data = pattern(40 * PAGE, 5);

        join(lun.write(PAGE, buffers(data), false));
        join(lun.flush());

        assertArrayEquals(data, slice(disk.durable(), PAGE, data.length));
        assertEquals(1, ((CachedBackend) lun).statistics().writersWaited());
    }

    @Test
    void writeBackStartsOnItsOwnAboveTheBackgroundRatio() {
        RecordingBackend disk = new RecordingBackend(LUN_BYTES, BLOCK);
        BlockBackend lun = lun(disk, 64, QUIET.withWatermarks(0.1, 0.5));
        for (int page = 0; page < 5; page++) {
            write(lun, (long) page * 2 * PAGE, pattern(PAGE, page));
        }
        assertTrue(disk.writes().isEmpty(), "below the background ratio nothing is written back yet");

        for (int page = 5; page < 16; page++) {
            write(lun, (long) page * 2 * PAGE, pattern(PAGE, page));
        }

        await(() -> !disk.writes().isEmpty(), "flushers write back above the background ratio");
    }

    @Test
    void dirtyDataIsWrittenBackOnceItExpires() {
        RecordingBackend disk = new RecordingBackend(LUN_BYTES, BLOCK);
        BlockBackend lun = lun(disk, 64, QUIET.withDirtyExpire(Duration.ofMillis(50)));

        write(lun, 0, pattern(PAGE, 1));

        await(() -> disk.writes().size() == 1, "the expired page was written back");
        await(() -> ((CachedBackend) lun).statistics().arenaUsedBytes() == 0, "its page was freed");
    }

    @Test
    void writesAboveTheThrottleRatioCompleteLater() {
        RecordingBackend disk = new RecordingBackend(LUN_BYTES, BLOCK);
        BlockBackend lun = lun(disk, 20, QUIET.withWatermarks(0.1, 0.2));
        disk.hold();
        for (int page = 0; page < 17; page++) {
            join(lun.write((long) page * 2 * PAGE, buffers(pattern(PAGE, page)), false));
        }

        CompletableFuture<Void> throttled = lun.write(50L * PAGE, buffers(pattern(PAGE, 50)), false);

        assertFalse(throttled.isDone(), "the completion is delayed, not refused");
        join(throttled);
        assertTrue(((CachedBackend) lun).statistics().writersThrottled() > 0);
    }

    @Test
    void manyConcurrentWritersThroughATinyArenaAllLandIntact() {
        RecordingBackend disk = new RecordingBackend(LUN_BYTES, BLOCK, 300);
        BlockBackend lun = lun(disk, 8, CacheTestSupport.DEFAULTS);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int page = (i * 37) % 256;
            writes.add(lun.write((long) page * PAGE, buffers(pattern(PAGE, i)), false));
        }
        writes.forEach(CacheTestSupport::join);
        join(lun.flush());

        byte[] durable = disk.durable();
        byte[] expected = new byte[LUN_BYTES];
        for (int i = 0; i < 200; i++) {
            int page = (i * 37) % 256;
            System.arraycopy(pattern(PAGE, i), 0, expected, page * PAGE, PAGE);
        }
        assertArrayEquals(expected, durable);
    }
}
