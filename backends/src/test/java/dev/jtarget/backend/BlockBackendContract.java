package dev.jtarget.backend;

import static dev.jtarget.backend.BackendTestSupport.assertFailsWith;
import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static dev.jtarget.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jtarget.backend.BackendException.Kind;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Behaviours every {@link BlockBackend} must show; each implementation's test extends this class. Backends are fresh
 * (reading as zeros), small (8 MiB) and closed after each test.
 */
public abstract class BlockBackendContract {
    protected static final int BLOCK = 512;
    protected static final long SIZE = 8L << 20;

    private final List<BlockBackend> opened = new ArrayList<>();

    /** A new, zero-filled backend of exactly {@code sizeBytes} bytes in blocks of {@code blockSize}. */
    protected abstract BlockBackend newBackend(long sizeBytes, int blockSize) throws Exception;

    protected final BlockBackend backend(long sizeBytes, int blockSize) throws Exception {
        BlockBackend backend = newBackend(sizeBytes, blockSize);
        opened.add(backend);
        return backend;
    }

    @AfterEach
    void closeBackends() {
        opened.forEach(BlockBackend::close);
    }

    @Test
    void reportsTheConfiguredSizeAndBlockSize() throws Exception {
        BlockBackend small = backend(SIZE, 512);
        BlockBackend large = backend(2 * SIZE, 4096);
        assertEquals(SIZE, small.sizeBytes());
        assertEquals(512, small.blockSize());
        assertEquals(2 * SIZE, large.sizeBytes());
        assertEquals(4096, large.blockSize());
        assertFalse(small.capabilities().readOnly());
    }

    @Test
    void freshBackendReadsAsZeros() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        assertArrayEquals(new byte[(int) SIZE], read(backend, 0, (int) SIZE));
    }

    @Test
    void randomWritesAtVariousOffsetsAndLengthsReadBackLikeAModelDisk() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        byte[] model = new byte[(int) SIZE];
        Random random = new Random(7);
        for (int i = 0; i < 150; i++) {
            int blocks = 1 + random.nextInt(64);
            int offset = random.nextInt((int) (SIZE / BLOCK) - blocks + 1) * BLOCK;
            byte[] data = randomBytes(random, blocks * BLOCK);
            await(backend.write(offset, new ByteBuffer[] {buffer(data, i % 2 == 0)}, random.nextInt(8) == 0));
            System.arraycopy(data, 0, model, offset, data.length);
            assertArrayEquals(data, read(backend, offset, data.length), "read back after write #" + i);
        }
        assertArrayEquals(model, read(backend, 0, (int) SIZE), "whole disk against the model");
    }

    @Test
    void gatheredWriteLandsItsBuffersBackToBack() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        Random random = new Random(11);
        byte[] first = randomBytes(random, 512);
        byte[] second = randomBytes(random, 1536);
        byte[] third = randomBytes(random, 1024);
        byte[] fourth = randomBytes(random, 4096);
        // The third buffer is a window into a larger array: only position..limit is data.
        ByteBuffer window = ByteBuffer.allocate(1024 + 300);
        window.position(100).put(third).position(100).limit(100 + 1024);
        ByteBuffer[] sources = {buffer(first, false), buffer(second, true), window, buffer(fourth, true)};
        long offset = 3L * BLOCK;

        await(backend.write(offset, sources, false));

        byte[] expected = concat(first, second, third, fourth);
        assertArrayEquals(expected, read(backend, offset, expected.length));
        assertArrayEquals(new byte[BLOCK], read(backend, offset + expected.length, BLOCK), "nothing past the end");
        assertArrayEquals(new byte[BLOCK], read(backend, offset - BLOCK, BLOCK), "nothing before the start");
    }

    @Test
    void readFillsTheDestinationFromItsPositionToItsLimitOnly() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        byte[] data = randomBytes(new Random(3), 4 * BLOCK);
        await(backend.write(8L * BLOCK, new ByteBuffer[] {buffer(data, false)}, false));
        byte[] marker = new byte[8 * BLOCK];
        Arrays.fill(marker, (byte) 0x7f);
        ByteBuffer destination = ByteBuffer.wrap(marker.clone());
        destination.position(BLOCK).limit(5 * BLOCK);

        await(backend.read(8L * BLOCK, destination));

        byte[] filled = destination.array();
        assertArrayEquals(Arrays.copyOfRange(marker, 0, BLOCK), Arrays.copyOfRange(filled, 0, BLOCK));
        assertArrayEquals(data, Arrays.copyOfRange(filled, BLOCK, 5 * BLOCK));
        assertArrayEquals(Arrays.copyOfRange(marker, 5 * BLOCK, 8 * BLOCK),
                Arrays.copyOfRange(filled, 5 * BLOCK, 8 * BLOCK));
    }

    @Test
    void fuaWritesFlushesAndFuaWriteZeroesCompleteAndKeepTheData() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        byte[] data = randomBytes(new Random(5), 16 * BLOCK);
        await(backend.write(0, new ByteBuffer[] {buffer(data, true)}, true));
        await(backend.flush());
        await(backend.writeZeroes(4L * BLOCK, 4L * BLOCK, true));
        await(backend.flush());

        Arrays.fill(data, 4 * BLOCK, 8 * BLOCK, (byte) 0);
        assertArrayEquals(data, read(backend, 0, data.length));
    }

    @Test
    void discardedRangeReadsAsZerosAndNeighboursKeepTheirData() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        assumeTrue(backend.capabilities().canDiscard() && backend.capabilities().discardReadsZeros(),
                "backend does not promise zeros after discard");
        byte[] data = randomBytes(new Random(13), 128 * BLOCK);
        long offset = 64L * BLOCK;
        await(backend.write(offset, new ByteBuffer[] {buffer(data, true)}, false));

        await(backend.discard(offset + 32L * BLOCK, 64L * BLOCK));

        Arrays.fill(data, 32 * BLOCK, 96 * BLOCK, (byte) 0);
        assertArrayEquals(data, read(backend, offset, data.length));
    }

    @Test
    void writeZeroesMakesTheRangeReadAsZerosAndNeighboursKeepTheirData() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        byte[] data = randomBytes(new Random(17), 128 * BLOCK);
        await(backend.write(0, new ByteBuffer[] {buffer(data, false)}, false));

        await(backend.writeZeroes(BLOCK, 10L * BLOCK, false));
        await(backend.writeZeroes(100L * BLOCK, 3L * BLOCK, true));

        Arrays.fill(data, BLOCK, 11 * BLOCK, (byte) 0);
        Arrays.fill(data, 100 * BLOCK, 103 * BLOCK, (byte) 0);
        assertArrayEquals(data, read(backend, 0, data.length));
    }

    @Test
    void writeZeroesOverTheWholeBackendClearsEveryWrittenBlock() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        Random random = new Random(19);
        for (long offset = 0; offset < SIZE; offset += SIZE / 16) {
            await(backend.write(offset, new ByteBuffer[] {buffer(randomBytes(random, 8 * BLOCK), true)}, false));
        }

        await(backend.writeZeroes(0, SIZE, false));

        assertArrayEquals(new byte[(int) SIZE], read(backend, 0, (int) SIZE));
    }

    @Test
    void requestsOutsideTheBackendFailWithOutOfRangeAndChangeNothing() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        byte[] lastBlock = randomBytes(new Random(23), BLOCK);
        await(backend.write(SIZE - BLOCK, new ByteBuffer[] {buffer(lastBlock, false)}, false));
        ByteBuffer[] twoBlocks = {ByteBuffer.allocate(2 * BLOCK)};

        assertFailsWith(Kind.OUT_OF_RANGE, backend.read(SIZE, ByteBuffer.allocate(BLOCK)));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.read(SIZE - BLOCK, ByteBuffer.allocate(2 * BLOCK)));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.read(-BLOCK, ByteBuffer.allocate(BLOCK)));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.write(SIZE - BLOCK, twoBlocks, false));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.write(SIZE, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, true));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.discard(SIZE - BLOCK, 2L * BLOCK));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.discard(BLOCK, Long.MAX_VALUE));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.writeZeroes(SIZE - BLOCK, 2L * BLOCK, false));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.writeZeroes(-BLOCK, BLOCK, false));

        assertArrayEquals(lastBlock, read(backend, SIZE - BLOCK, BLOCK), "a refused request wrote nothing");
    }

    @Test
    void concurrentWritersOnDisjointRegionsEachReadBackTheirOwnData() throws Exception {
        BlockBackend backend = backend(SIZE, BLOCK);
        int writers = 8;
        int operationsPerWriter = 200;
        int regionBytes = (int) (SIZE / writers);
        byte[] model = new byte[(int) SIZE];
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int regionStart = w * regionBytes;
                Random random = new Random(100 + w);
                done.add(pool.submit(() -> {
                    for (int op = 0; op < operationsPerWriter; op++) {
                        int blocks = 1 + random.nextInt(16);
                        int offset = regionStart + random.nextInt(regionBytes / BLOCK - blocks + 1) * BLOCK;
                        int choice = random.nextInt(10);
                        if (choice < 7) {
                            byte[] data = randomBytes(random, blocks * BLOCK);
                            await(backend.write(offset, new ByteBuffer[] {buffer(data, op % 2 == 0)}, choice == 0));
                            // Each writer owns its region of the model, so these copies never overlap.
                            System.arraycopy(data, 0, model, offset, data.length);
                        } else if (choice < 9) {
                            assertArrayEquals(Arrays.copyOfRange(model, offset, offset + blocks * BLOCK),
                                    read(backend, offset, blocks * BLOCK));
                        } else {
                            await(backend.flush());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> writer : done) {
                writer.get(BackendTestSupport.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertArrayEquals(model, read(backend, 0, (int) SIZE), "whole disk after the concurrent writers");
    }

    private static byte[] concat(byte[]... parts) {
        int length = Arrays.stream(parts).mapToInt(part -> part.length).sum();
        ByteBuffer joined = ByteBuffer.allocate(length);
        for (byte[] part : parts) {
            joined.put(part);
        }
        return joined.array();
    }
}
