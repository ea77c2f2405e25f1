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
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The write, read, FUA, flush and discard contract of a cached LUN, checked against a recording backend. */
class CachedBackendTest {
    private final RecordingBackend disk = new RecordingBackend(LUN_BYTES, BLOCK);
    private WriteBackCache cache = new WriteBackCache(64 * PAGE, 1, QUIET);
    private BlockBackend lun = cache.attach(disk, "lun0");

    @AfterEach
    void closeCache() {
        disk.release();
        cache.close();
    }

    @Test
    void plainWriteCompletesFromTheCacheBeforeTheBackendSeesIt() {
        disk.hold();
        CompletableFuture<Void> written = lun.write(0, buffers(pattern(PAGE, 1)), false);

        assertTrue(written.isDone());
        assertTrue(disk.writes().isEmpty());
        assertEquals(0, disk.held());
        assertArrayEquals(pattern(PAGE, 1), read(lun, 0, PAGE));
    }

    @Test
    void readOverlaysCachedBlocksOnBackendData() {
        byte[] onDisk = pattern(LUN_BYTES, 7);
        disk.fill(onDisk);
        byte[] cached = pattern(3 * BLOCK, 8);
        write(lun, PAGE + 2 * BLOCK, cached); // blocks 2..4 of the second page: a partly valid page

        byte[] expected = slice(onDisk, 2048, 2 * PAGE);
        System.arraycopy(cached, 0, expected, PAGE + 2 * BLOCK - 2048, cached.length);
        assertArrayEquals(expected, read(lun, 2048, 2 * PAGE));
        assertTrue(disk.writes().isEmpty());
    }

    @Test
    void overwritingDirtyBlocksReplacesThemInPlace() {
        for (int i = 0; i < 10; i++) {
            write(lun, 0, pattern(BLOCK, i));
        }

        CacheStatistics statistics = ((CachedBackend) lun).statistics();
        assertEquals(9L * BLOCK, statistics.absorbedBytes());
        assertEquals(PAGE, statistics.arenaUsedBytes());
        assertEquals(BLOCK, statistics.dirtyBytes());
        join(lun.flush());
        assertEquals(1, disk.writes().size());
        assertArrayEquals(pattern(BLOCK, 9), disk.writes().getFirst().data());
    }

    @Test
    void cacheWideCountersKeepWhatADetachedLunDid() {
        write(lun, 0, pattern(PAGE, 1));
        BlockBackend clone = cache.attach(new RecordingBackend(LUN_BYTES, BLOCK), "clone");
        write(clone, 0, pattern(2 * PAGE, 2));
        CacheStatistics before = cache.statistics();

        clone.close(); // a clone whose last session ended: written back, detached
        CacheStatistics after = cache.statistics();

        assertEquals(2, before.writes());
        assertEquals(before.writes(), after.writes());
        assertEquals(3L * PAGE, after.writtenBytes());
        assertTrue(after.flushedBytes() >= 2L * PAGE, "the clone's write-back counts: " + after);
        assertTrue(after.flushBytesPerSecondSince(before) >= 0);
        assertEquals(List.of("lun0"), cache.lunStatistics().stream().map(CacheStatistics::scope).toList());
    }

    @Test
    void fuaWriteOverNothingCachedGoesStraightToTheBackendWithFua() {
        join(lun.write(PAGE, buffers(pattern(PAGE, 3)), true));

        assertEquals(List.of(true), disk.writes().stream().map(RecordingBackend.Write::fua).toList());
        assertArrayEquals(pattern(PAGE, 3), slice(disk.durable(), PAGE, PAGE));
        CacheStatistics statistics = ((CachedBackend) lun).statistics();
        assertEquals(1, statistics.writeThroughs());
        assertEquals(0, statistics.arenaUsedBytes());
    }

    @Test
    void flushCompletesOnlyOnceEarlierWritesAreDurable() {
        disk.hold();
        write(lun, 0, pattern(PAGE, 1));
        write(lun, 8 * PAGE, pattern(PAGE, 2));
        CompletableFuture<Void> flushed = lun.flush();
        await(() -> disk.held() == 2, "both pages are being written back");

        assertFalse(flushed.isDone());
        disk.release();
        join(flushed);
        byte[] durable = disk.durable();
        assertArrayEquals(pattern(PAGE, 1), slice(durable, 0, PAGE));
        assertArrayEquals(pattern(PAGE, 2), slice(durable, 8 * PAGE, PAGE));
        assertEquals(0, ((CachedBackend) lun).statistics().arenaUsedBytes());
    }

    @Test
    void pageRewrittenDuringWriteBackIsCopiedSoTheBackendNeverSeesAMix() {
        disk.hold();
        write(lun, 0, pattern(PAGE, 1));
        CompletableFuture<Void> flushed = lun.flush();
        await(() -> disk.held() == 1, "the page is being written back");

        write(lun, BLOCK, pattern(BLOCK, 2)); // lands on a copy: the page in flight must not change
        byte[] expected = pattern(PAGE, 1);
        System.arraycopy(pattern(BLOCK, 2), 0, expected, BLOCK, BLOCK);
        assertArrayEquals(expected, read(lun, 0, PAGE));
        disk.release();
        join(flushed);
        join(lun.flush());

        List<RecordingBackend.Write> writes = disk.writes();
        assertEquals(2, writes.size());
        assertArrayEquals(pattern(PAGE, 1), writes.get(0).data());
        assertArrayEquals(expected, writes.get(1).data());
        assertArrayEquals(expected, slice(disk.durable(), 0, PAGE));
    }

    @Test
    void fuaWriteOverCachedDataIsDurableBeforeItCompletesAndNotOvertakenByOlderData() {
        disk.hold();
        write(lun, 0, pattern(PAGE, 1));
        lun.flush();
        await(() -> disk.held() == 1, "the old page is being written back");

        CompletableFuture<Void> fua = lun.write(2 * BLOCK, buffers(pattern(2 * BLOCK, 2)), true);
        assertFalse(fua.isDone());
        disk.release();
        join(fua);

        byte[] expected = pattern(PAGE, 1);
        System.arraycopy(pattern(2 * BLOCK, 2), 0, expected, 2 * BLOCK, 2 * BLOCK);
        assertArrayEquals(expected, slice(disk.durable(), 0, PAGE));
        List<RecordingBackend.Write> writes = disk.writes();
        assertArrayEquals(pattern(PAGE, 1), writes.get(0).data());
        assertArrayEquals(expected, writes.getLast().data());
    }

    @Test
    void adjacentDirtyPagesGoOutAsOneGatheredWriteInAscendingOrder() {
        for (int page = 7; page >= 0; page--) {
            write(lun, (long) page * PAGE, pattern(PAGE, page));
        }
        write(lun, 100L * PAGE, pattern(PAGE, 100));
        write(lun, 50L * PAGE, pattern(PAGE, 50));

        join(lun.flush());

        List<RecordingBackend.Write> writes = disk.writes();
        assertEquals(List.of(0L, 50L * PAGE, 100L * PAGE), writes.stream().map(RecordingBackend.Write::offset).toList());
        assertEquals(8 * PAGE, writes.getFirst().data().length);
        for (int page = 0; page < 8; page++) {
            assertArrayEquals(pattern(PAGE, page), slice(writes.getFirst().data(), (long) page * PAGE, PAGE));
        }
    }

    @Test
    void discardDropsCachedBlocksSoTheyNeverReachTheBackend() {
        write(lun, 2 * PAGE, pattern(2 * PAGE, 1));

        join(lun.discard(2 * PAGE, PAGE + 2 * BLOCK));

        byte[] expected = new byte[2 * PAGE];
        System.arraycopy(pattern(2 * PAGE, 1), PAGE + 2 * BLOCK, expected, PAGE + 2 * BLOCK, PAGE - 2 * BLOCK);
        assertArrayEquals(expected, read(lun, 2 * PAGE, 2 * PAGE));
        join(lun.flush());
        assertEquals(1, disk.discards());
        assertEquals(List.of(3L * PAGE + 2 * BLOCK),
                disk.writes().stream().map(RecordingBackend.Write::offset).toList());
        assertArrayEquals(expected, slice(disk.durable(), 2 * PAGE, 2 * PAGE));
    }

    @Test
    void discardWaitsForWriteBackOfItsRangeAndReadsWaitForTheDiscard() {
        disk.hold();
        disk.holdDiscards();
        write(lun, 3 * PAGE, pattern(PAGE, 1));
        lun.flush();
        await(() -> disk.held() == 1, "the page is being written back");

        CompletableFuture<Void> discarded = lun.discard(3 * PAGE, PAGE);
        ByteBuffer readBack = ByteBuffer.allocate(PAGE);
        CompletableFuture<Void> reading = lun.read(3 * PAGE, readBack);
        assertEquals(1, disk.held(), "the discard must not overtake the write-back");
        assertFalse(reading.isDone(), "a read of a range being discarded waits for the discard");
        disk.release();
        join(discarded);
        join(reading);

        assertArrayEquals(new byte[PAGE], readBack.array());
        assertArrayEquals(new byte[PAGE], slice(disk.image(), 3 * PAGE, PAGE));
    }

    @Test
    void discardWaitsForAnOlderCopyOfThePageStillBeingWrittenBack() {
        disk.hold();
        disk.holdDiscards();
        write(lun, 3 * PAGE, pattern(PAGE, 1));
        lun.flush();
        await(() -> disk.held() == 1, "the page is being written back");
        write(lun, 3 * PAGE, pattern(PAGE, 2)); // a copy, blocked behind the write-back of the original

        CompletableFuture<Void> discarded = lun.discard(3 * PAGE, PAGE);

        assertEquals(1, disk.held(), "the discard must wait for the original's write-back");
        disk.release();
        join(discarded);
        assertArrayEquals(new byte[PAGE], read(lun, 3 * PAGE, PAGE));
        join(lun.flush());
        assertArrayEquals(new byte[PAGE], slice(disk.durable(), 3 * PAGE, PAGE));
    }

    @Test
    void flushWaitsForADiscardThatDroppedCachedData() {
        disk.holdDiscards();
        write(lun, 2 * PAGE, pattern(PAGE, 1));
        CompletableFuture<Void> discarded = lun.discard(2 * PAGE, PAGE);
        await(() -> disk.held() == 1, "the discard reached the backend");

        CompletableFuture<Void> flushed = lun.flush();

        assertFalse(flushed.isDone(), "the dropped data is neither written nor discarded yet");
        disk.release();
        join(discarded);
        join(flushed);
        assertArrayEquals(new byte[PAGE], slice(disk.durable(), 2 * PAGE, PAGE));
    }

    @Test
    void fuaWriteWhoseCachedDataALaterDiscardDroppedWaitsForTheDiscard() {
        disk.hold();
        disk.holdDiscards();
        write(lun, 0, pattern(PAGE, 1));
        lun.flush();
        await(() -> disk.held() == 1, "the page is being written back");
        CompletableFuture<Void> fua = lun.write(BLOCK, buffers(pattern(BLOCK, 2)), true); // lands on a blocked copy
        CompletableFuture<Void> discarded = lun.discard(0, PAGE); // waits for the write-back, then drops the copy

        disk.releaseWrites();
        await(() -> disk.held() == 1, "the discard reached the backend");

        assertFalse(fua.isDone(), "neither the FUA data nor the discard is durable yet");
        disk.release();
        join(discarded);
        join(fua);
        assertArrayEquals(new byte[PAGE], slice(disk.durable(), 0, PAGE));
    }

    @Test
    void fuaWriteWaitsForItsOwnDataEvenAfterALaterWriteCopiedThePage() {
        write(lun, 0, pattern(PAGE, 1));
        write(lun, 5 * PAGE, pattern(PAGE, 5));
        disk.hold();
        CompletableFuture<Void> fua = lun.write(BLOCK, buffers(pattern(BLOCK, 2)), true);
        await(() -> disk.held() == 1, "the FUA write's page is being written back");
        write(lun, 2 * BLOCK, pattern(BLOCK, 3)); // newer data lands on a copy

        join(lun.discard(5 * PAGE, PAGE)); // another event that re-checks who waits

        assertFalse(fua.isDone(), "the FUA data is still in flight");
        disk.release();
        join(fua);
        assertArrayEquals(pattern(BLOCK, 2), slice(disk.durable(), BLOCK, BLOCK));
    }

    @Test
    void writeBackFailureFailsFlushAndFuaUntilTheBackendHealsThenEverythingLands() throws Exception {
        disk.failWrites(true);
        write(lun, 0, pattern(PAGE, 1));

        ExecutionException flushFailure = assertThrows(ExecutionException.class, () -> lun.flush().get());
        BackendException error = assertInstanceOf(BackendException.class, flushFailure.getCause());
        assertEquals(BackendException.Kind.WRITE_ERROR, error.kind());
        assertThrows(ExecutionException.class, () -> lun.flush().get());
        ExecutionException fuaFailure = assertThrows(ExecutionException.class,
                () -> lun.write(BLOCK, buffers(pattern(BLOCK, 2)), true).get());
        assertEquals(BackendException.Kind.WRITE_ERROR, ((BackendException) fuaFailure.getCause()).kind());
        CacheStatistics statistics = ((CachedBackend) lun).statistics();
        assertTrue(statistics.backendErrors() >= 3);
        assertEquals(PAGE, statistics.pinnedBytes());
        byte[] expected = pattern(PAGE, 1);
        System.arraycopy(pattern(BLOCK, 2), 0, expected, BLOCK, BLOCK);
        assertArrayEquals(expected, read(lun, 0, PAGE), "pinned data still reads back");

        disk.failWrites(false);
        join(lun.flush());
        assertArrayEquals(expected, slice(disk.durable(), 0, PAGE));
        assertEquals(0, ((CachedBackend) lun).statistics().pinnedBytes());
    }

    /** SYNCHRONIZE CACHE then reports SPACE ALLOCATION FAILED rather than a medium error. */
    @Test
    void writeBackOutOfSpaceFailsFlushWithNoSpace() {
        disk.failWritesWith(BackendException.Kind.NO_SPACE);
        write(lun, 0, pattern(PAGE, 1));

        ExecutionException flushFailure = assertThrows(ExecutionException.class, () -> lun.flush().get());
        assertEquals(BackendException.Kind.NO_SPACE, ((BackendException) flushFailure.getCause()).kind());
        disk.failWrites(false);
        join(lun.flush());
        assertArrayEquals(pattern(PAGE, 1), slice(disk.durable(), 0, PAGE));
    }

    @Test
    void closeWritesBackEverythingFlushesAndClosesTheBackend() {
        for (int page = 0; page < 20; page++) {
            write(lun, (long) page * 3 * PAGE, pattern(PAGE, page));
        }

        lun.close();

        byte[] durable = disk.durable();
        for (int page = 0; page < 20; page++) {
            assertArrayEquals(pattern(PAGE, page), slice(durable, (long) page * 3 * PAGE, PAGE));
        }
        assertTrue(disk.closed());
        assertEquals(0, cache.statistics().arenaUsedBytes());
        CompletableFuture<Void> late = lun.write(0, buffers(pattern(PAGE, 0)), false);
        assertEquals(BackendException.Kind.NOT_READY,
                assertInstanceOf(BackendException.class, late.exceptionNow()).kind());
    }

    @Test
    void drainWritesBackEveryLun() {
        RecordingBackend second = new RecordingBackend(LUN_BYTES, BLOCK);
        BlockBackend lun1 = cache.attach(second, "lun1");
        write(lun, 0, pattern(PAGE, 1));
        write(lun1, PAGE, pattern(PAGE, 2));

        assertTrue(cache.drain());

        assertArrayEquals(pattern(PAGE, 1), slice(disk.durable(), 0, PAGE));
        assertArrayEquals(pattern(PAGE, 2), slice(second.durable(), PAGE, PAGE));
        assertEquals(2, cache.lunStatistics().size());
        assertEquals(2 * PAGE, cache.statistics().flushedBytes());
    }

    @Test
    void lunWith4KiBlocksCachesWholePagesAndAbsorbsOverwrites() {
        RecordingBackend bigBlocks = new RecordingBackend(LUN_BYTES, PAGE);
        BlockBackend lun4k = cache.attach(bigBlocks, "lun4k");
        write(lun4k, 0, pattern(3 * PAGE, 1));
        write(lun4k, PAGE, pattern(PAGE, 2));

        byte[] expected = pattern(3 * PAGE, 1);
        System.arraycopy(pattern(PAGE, 2), 0, expected, PAGE, PAGE);
        assertArrayEquals(expected, read(lun4k, 0, 3 * PAGE));
        assertEquals(PAGE, ((CachedBackend) lun4k).statistics().absorbedBytes());
        join(lun4k.flush());
        assertArrayEquals(expected, slice(bigBlocks.durable(), 0, 3 * PAGE));
        assertEquals(1, bigBlocks.writes().size());
    }

    @Test
    void misalignedOrOutOfRangeRequestsFailWithoutTouchingTheCache() {
        BackendException misaligned = assertInstanceOf(BackendException.class,
                lun.write(100, buffers(new byte[BLOCK]), false).exceptionNow());
        BackendException beyond = assertInstanceOf(BackendException.class,
                lun.discard(LUN_BYTES - BLOCK, 2 * BLOCK).exceptionNow());

        assertEquals(BackendException.Kind.OUT_OF_RANGE, misaligned.kind());
        assertEquals(BackendException.Kind.OUT_OF_RANGE, beyond.kind());
        assertEquals(0, cache.statistics().arenaUsedBytes());
    }

    @Test
    void blocksLargerThanACachePageAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> cache.attach(new RecordingBackend(LUN_BYTES, 2 * PAGE), "big-blocks"));
    }
}
