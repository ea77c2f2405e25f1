package dev.jtarget.backend.delay;

import static dev.jtarget.backend.BackendTestSupport.assertFailsWith;
import static dev.jtarget.backend.BackendTestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.memory.MemoryBackend;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class DelayedBackendTest {
    private static final int BLOCK = 512;

    @Test
    void readsTakeTheReadDelayAndWritesTheWriteDelay() throws Exception {
        try (DelayedBackend backend = new DelayedBackend(new MemoryBackend(1 << 20, BLOCK),
                Duration.ofMillis(80), Duration.ofMillis(40))) {
            assertTakesAtLeast(Duration.ofMillis(80),
                    () -> backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));
            assertTakesAtLeast(Duration.ofMillis(80), backend::flush);
            assertTakesAtLeast(Duration.ofMillis(80), () -> backend.discard(0, BLOCK));
            assertTakesAtLeast(Duration.ofMillis(80), () -> backend.writeZeroes(0, BLOCK, true));
            assertTakesAtLeast(Duration.ofMillis(40), () -> backend.read(0, ByteBuffer.allocate(BLOCK)));
        }
    }

    @Test
    void theCallerIsNotBlockedWhileARequestIsDelayed() throws Exception {
        try (DelayedBackend backend = new DelayedBackend(new MemoryBackend(1 << 20, BLOCK),
                Duration.ofMillis(300), Duration.ofMillis(300))) {
            long start = System.nanoTime();
            CompletableFuture<Void> write = backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false);
            CompletableFuture<Void> read = backend.read(BLOCK, ByteBuffer.allocate(BLOCK));
            long issuing = System.nanoTime() - start;

            assertFalse(write.isDone() || read.isDone(), "requests complete only after their delay");
            assertTrue(issuing < Duration.ofMillis(150).toNanos(), "issuing took " + issuing / 1_000_000 + " ms");
            await(CompletableFuture.allOf(write, read));
        }
    }

    @Test
    void aQueueDepthOfOneWorksOnOneRequestAtATime() throws Exception {
        try (DelayedBackend backend = new DelayedBackend(new MemoryBackend(1 << 20, BLOCK),
                Duration.ofMillis(100), Duration.ZERO, 1)) {
            long start = System.nanoTime();
            CompletableFuture<Void> first = backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false);
            CompletableFuture<Void> second = backend.write(BLOCK, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false);
            CompletableFuture<Void> third = backend.read(0, ByteBuffer.allocate(BLOCK));
            await(first);
            assertFalse(second.isDone(), "the second write waits for the first to leave the device");
            await(CompletableFuture.allOf(second, third));
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed >= Duration.ofMillis(200).toNanos(), "two 100 ms writes in a row took "
                    + elapsed / 1_000_000 + " ms");
        }
    }

    @Test
    void closeFailsRequestsQueuedForTheDevice() {
        DelayedBackend backend = new DelayedBackend(new MemoryBackend(1 << 20, BLOCK),
                Duration.ofSeconds(30), Duration.ofSeconds(30), 1);
        CompletableFuture<Void> working = backend.read(0, ByteBuffer.allocate(BLOCK));
        CompletableFuture<Void> queued = backend.read(BLOCK, ByteBuffer.allocate(BLOCK));

        backend.close();

        assertFailsWith(Kind.NOT_READY, working);
        assertFailsWith(Kind.NOT_READY, queued);
        assertFailsWith(Kind.NOT_READY, backend.flush());
    }

    @Test
    void closeFailsRequestsStillWaitingAsNotReady() {
        DelayedBackend backend = new DelayedBackend(new MemoryBackend(1 << 20, BLOCK),
                Duration.ofSeconds(30), Duration.ofSeconds(30));
        CompletableFuture<Void> waiting = backend.read(0, ByteBuffer.allocate(BLOCK));

        backend.close();

        assertFailsWith(Kind.NOT_READY, waiting);
        assertFailsWith(Kind.NOT_READY, backend.flush());
    }

    @Test
    void failuresOfTheWrappedBackendArriveUnwrapped() {
        try (DelayedBackend backend = new DelayedBackend(new MemoryBackend(1 << 20, BLOCK),
                Duration.ofMillis(5), Duration.ofMillis(5))) {
            assertFailsWith(Kind.OUT_OF_RANGE, backend.read(1 << 20, ByteBuffer.allocate(BLOCK)));
        }
    }

    @Test
    void describeNamesTheWrappedBackendAndTheDelays() {
        try (DelayedBackend backend = new DelayedBackend(new MemoryBackend(1 << 20, BLOCK),
                Duration.ofMillis(7), Duration.ofMillis(3))) {
            assertEquals("memory 1048576 bytes delayed (write 7 ms, read 3 ms)", backend.describe());
        }
    }

    private static void assertTakesAtLeast(Duration delay, Supplier<CompletableFuture<Void>> request)
            throws Exception {
        long start = System.nanoTime();
        await(request.get());
        long elapsed = System.nanoTime() - start;
        assertTrue(elapsed >= delay.toNanos(), "took " + elapsed / 1_000_000 + " ms, expected at least " + delay);
    }
}
