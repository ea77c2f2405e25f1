package dev.jtarget.backend.image;

import static dev.jtarget.backend.BackendTestSupport.TIMEOUT_SECONDS;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageReadCacheTest {
    private static final int CHUNK = ImageReadCache.CHUNK_BYTES;
    private static final Path IMAGE = Path.of("/images/gold.raw");

    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** An image in memory that counts the file reads of every chunk, optionally holding them up or failing them. */
    private static final class CountingImage implements ImageReader {
        final byte[] bytes;
        final ConcurrentHashMap<Long, AtomicInteger> readsPerChunk = new ConcurrentHashMap<>();
        final AtomicLong bytesRead = new AtomicLong();
        volatile long delayMillis;
        volatile CountDownLatch holdChunkZero;
        volatile IOException failNext;

        CountingImage(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read(ByteBuffer destination, long position) throws IOException {
            IOException failure = failNext;
            if (failure != null) {
                failNext = null;
                throw failure;
            }
            readsPerChunk.computeIfAbsent(position / CHUNK, chunk -> new AtomicInteger()).incrementAndGet();
            try {
                CountDownLatch hold = holdChunkZero;
                if (hold != null && position < CHUNK) {
                    hold.await();
                }
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            if (position >= bytes.length) {
                return -1;
            }
            int length = (int) Math.min(destination.remaining(), bytes.length - position);
            destination.put(bytes, (int) position, length);
            bytesRead.addAndGet(length);
            return length;
        }
    }

    private static byte[] read(ImageReadCache cache, long offset, int length) throws IOException {
        ByteBuffer destination = ByteBuffer.allocate(length);
        cache.read(offset, destination);
        assertEquals(length, destination.position());
        return destination.array();
    }

    /** The image's bytes from {@code offset}, zeros past its end. */
    private static byte[] expected(byte[] image, long offset, int length) {
        byte[] expected = new byte[length];
        if (offset < image.length) {
            System.arraycopy(image, (int) offset, expected, 0, (int) Math.min(length, image.length - offset));
        }
        return expected;
    }

    private void runTogether(int threads, ThrowingTask task) throws Exception {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<?>> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            running.add(pool.submit(() -> {
                start.await();
                task.run(thread);
                return null;
            }));
        }
        for (Future<?> future : running) {
            future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    @FunctionalInterface
    private interface ThrowingTask {
        void run(int thread) throws Exception;
    }

    @Test
    void concurrentReadersOfTheSameChunksReadTheFileOncePerChunk() throws Exception {
        Random random = new Random(1);
        CountingImage image = new CountingImage(randomBytes(random, 4 * CHUNK));
        image.delayMillis = 20; // loads take long enough for the other readers to arrive while they are in flight
        try (ImageReadCache cache = new ImageReadCache(IMAGE, image, image.bytes.length, 16L * CHUNK)) {
            runTogether(8, thread -> assertArrayEquals(image.bytes, read(cache, 0, image.bytes.length)));

            assertEquals(4, image.readsPerChunk.size());
            image.readsPerChunk.forEach((chunk, reads) -> assertEquals(1, reads.get(), "file reads of chunk " + chunk));
            assertEquals(image.bytes.length, image.bytesRead.get());
            assertEquals(image.bytes.length, cache.imageBytesRead());
            assertEquals(4, cache.misses());
            assertEquals(7 * 4, cache.hits());
            assertEquals(0, cache.bypasses());
        }
    }

    @Test
    void evictionKeepsResidentMemoryWithinTheBudgetAndDataCorrect() throws Exception {
        Random random = new Random(2);
        CountingImage image = new CountingImage(randomBytes(random, 64 * CHUNK));
        long budget = 4L * CHUNK + CHUNK / 2; // not a whole number of chunks: rounds down to 4 slots
        try (ImageReadCache cache = new ImageReadCache(IMAGE, image, image.bytes.length, budget)) {
            runTogether(4, thread -> {
                Random own = new Random(100 + thread);
                for (int i = 0; i < 300; i++) {
                    long offset = own.nextInt(image.bytes.length);
                    int length = 1 + own.nextInt(2 * CHUNK);
                    assertArrayEquals(expected(image.bytes, offset, length), read(cache, offset, length));
                    assertTrue(cache.residentBytes() <= budget, "resident " + cache.residentBytes());
                }
            });
            assertEquals(4L * CHUNK, cache.residentBytes());
            assertTrue(cache.evictions() > 0, "evictions " + cache.evictions());
        }
    }

    @Test
    void randomConcurrentReadsMatchTheFileIncludingPastItsEnd(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("cache.seed", System.nanoTime());
        System.out.println("seed " + seed + " (replay with -Dcache.seed=" + seed + ")");
        Random random = new Random(seed);
        byte[] bytes = randomBytes(random, 20 * CHUNK + 1000); // the last chunk is short
        Path file = dir.resolve("gold.raw");
        Files.write(file, bytes);
        try (ImageReadCache cache = ImageReadCache.open(file, 8L * CHUNK)) {
            assertEquals(file.toAbsolutePath().normalize(), cache.path());
            assertEquals(bytes.length, cache.imageSize());
            runTogether(6, thread -> {
                Random own = new Random(seed + thread);
                for (int i = 0; i < 400; i++) {
                    long offset = own.nextInt(bytes.length + CHUNK);
                    int length = 1 + own.nextInt(3 * CHUNK);
                    assertArrayEquals(expected(bytes, offset, length), read(cache, offset, length),
                            "read " + offset + "+" + length);
                }
            });
            assertTrue(cache.residentBytes() <= 8L * CHUNK);
        }
    }

    @Test
    void aZeroBudgetReadsEveryPieceFromTheFile() throws Exception {
        CountingImage image = new CountingImage(randomBytes(new Random(3), 3 * CHUNK));
        try (ImageReadCache cache = new ImageReadCache(IMAGE, image, image.bytes.length, CHUNK - 1)) {
            for (int pass = 0; pass < 3; pass++) {
                assertArrayEquals(image.bytes, read(cache, 0, image.bytes.length));
            }
            assertEquals(3L * image.bytes.length, cache.imageBytesRead());
            assertEquals(3L * image.bytes.length, image.bytesRead.get());
            assertEquals(0, cache.hits());
            assertEquals(0, cache.misses());
            assertEquals(9, cache.bypasses());
            assertEquals(0, cache.residentBytes());
        }
    }

    @Test
    void aReaderFindingEverySlotPinnedReadsTheFileInsteadOfWaiting() throws Exception {
        CountingImage image = new CountingImage(randomBytes(new Random(4), 2 * CHUNK));
        image.holdChunkZero = new CountDownLatch(1);
        try (ImageReadCache cache = new ImageReadCache(IMAGE, image, image.bytes.length, CHUNK)) {
            Future<byte[]> first = pool.submit(() -> read(cache, 0, 100)); // takes the one slot, held in its load
            while (image.readsPerChunk.get(0L) == null) {
                Thread.onSpinWait();
            }
            assertArrayEquals(expected(image.bytes, CHUNK, 100), read(cache, CHUNK, 100));
            assertEquals(1, cache.bypasses());
            image.holdChunkZero.countDown();
            assertArrayEquals(expected(image.bytes, 0, 100), first.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertEquals(1, cache.misses());
        }
    }

    @Test
    void aFailedLoadFailsItsReadersAndTheNextReadTriesAgain() throws Exception {
        CountingImage image = new CountingImage(randomBytes(new Random(5), CHUNK));
        try (ImageReadCache cache = new ImageReadCache(IMAGE, image, image.bytes.length, 2L * CHUNK)) {
            image.failNext = new IOException("medium error");
            IOException failure = assertThrows(IOException.class, () -> read(cache, 10, 10));
            assertEquals("medium error", failure.getMessage());
            assertArrayEquals(expected(image.bytes, 10, 10), read(cache, 10, 10));
            assertArrayEquals(expected(image.bytes, 20, 10), read(cache, 20, 10));
            assertEquals(1, image.readsPerChunk.get(0L).get());
            assertEquals(1, cache.hits());
        }
    }

    @Test
    void aClosedCacheRefusesReads() throws Exception {
        CountingImage image = new CountingImage(new byte[CHUNK]);
        ImageReadCache cache = new ImageReadCache(IMAGE, image, image.bytes.length, CHUNK);
        read(cache, 0, 10);
        cache.close();
        cache.close();
        IOException failure = assertThrows(IOException.class, () -> read(cache, 0, 10));
        assertTrue(failure.getMessage().contains("closed"), failure.getMessage());
    }
}
