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
 * (reading as zeros), small (8 MiB) and closed after each test. Requests are whole blocks of 512 bytes unless the
 * backend needs larger ones (O_DIRECT on a filesystem of 4 KiB blocks, say).
 */
public abstract class BlockBackendContract {
    protected static final long SIZE = 8L << 20;

    private final List<BlockBackend> opened = new ArrayList<>();
    private final int block;

    protected BlockBackendContract() {
        this(512);
    }

    /** With {@code block} the block size (a power of two, at most 64 KiB) of the backends and their requests. */
    protected BlockBackendContract(int block) {
        this.block = block;
    }

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
        BlockBackend small = backend(SIZE, block);
        BlockBackend large = backend(2 * SIZE, 8 * block);
        assertEquals(SIZE, small.sizeBytes());
        assertEquals(block, small.blockSize());
        assertEquals(2 * SIZE, large.sizeBytes());
        assertEquals(8 * block, large.blockSize());
        assertFalse(small.capabilities().readOnly());
    }

    @Test
    void freshBackendReadsAsZeros() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        assertArrayEquals(new byte[(int) SIZE], read(backend, 0, (int) SIZE));
    }

    @Test
    void randomWritesAtVariousOffsetsAndLengthsReadBackLikeAModelDisk() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        byte[] model = new byte[(int) SIZE];
        Random random = new Random(7);
        for (int i = 0; i < 150; i++) {
            int blocks = 1 + random.nextInt(64);
            int offset = random.nextInt((int) (SIZE / block) - blocks + 1) * block;
            byte[] data = randomBytes(random, blocks * block);
            await(backend.write(offset, new ByteBuffer[] {buffer(data, i % 2 == 0)}, random.nextInt(8) == 0));
            System.arraycopy(data, 0, model, offset, data.length);
            assertArrayEquals(data, read(backend, offset, data.length), "read back after write #" + i);
        }
        assertArrayEquals(model, read(backend, 0, (int) SIZE), "whole disk against the model");
    }

    @Test
    void gatheredWriteLandsItsBuffersBackToBack() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        Random random = new Random(11);
        byte[] first = randomBytes(random, block);
        byte[] second = randomBytes(random, 3 * block);
        byte[] third = randomBytes(random, 2 * block);
        byte[] fourth = randomBytes(random, 8 * block);
        // The third buffer is a window into a larger array: only position..limit is data.
        ByteBuffer window = ByteBuffer.allocate(third.length + 300);
        window.position(100).put(third).position(100).limit(100 + third.length);
        ByteBuffer[] sources = {buffer(first, false), buffer(second, true), window, buffer(fourth, true)};
        long offset = 3L * block;

        await(backend.write(offset, sources, false));

        byte[] expected = concat(first, second, third, fourth);
        assertArrayEquals(expected, read(backend, offset, expected.length));
        assertArrayEquals(new byte[block], read(backend, offset + expected.length, block), "nothing past the end");
        assertArrayEquals(new byte[block], read(backend, offset - block, block), "nothing before the start");
    }

    @Test
    void readFillsTheDestinationFromItsPositionToItsLimitOnly() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        byte[] data = randomBytes(new Random(3), 4 * block);
        await(backend.write(8L * block, new ByteBuffer[] {buffer(data, false)}, false));
        byte[] marker = new byte[8 * block];
        Arrays.fill(marker, (byte) 0x7f);
        ByteBuffer destination = ByteBuffer.wrap(marker.clone());
        destination.position(block).limit(5 * block);

        await(backend.read(8L * block, destination));

        byte[] filled = destination.array();
        assertArrayEquals(Arrays.copyOfRange(marker, 0, block), Arrays.copyOfRange(filled, 0, block));
        assertArrayEquals(data, Arrays.copyOfRange(filled, block, 5 * block));
        assertArrayEquals(Arrays.copyOfRange(marker, 5 * block, 8 * block),
                Arrays.copyOfRange(filled, 5 * block, 8 * block));
    }

    @Test
    void fuaWritesFlushesAndFuaWriteZeroesCompleteAndKeepTheData() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        byte[] data = randomBytes(new Random(5), 16 * block);
        await(backend.write(0, new ByteBuffer[] {buffer(data, true)}, true));
        await(backend.flush());
        await(backend.writeZeroes(4L * block, 4L * block, true));
        await(backend.flush());

        Arrays.fill(data, 4 * block, 8 * block, (byte) 0);
        assertArrayEquals(data, read(backend, 0, data.length));
    }

    @Test
    void discardedRangeReadsAsZerosAndNeighboursKeepTheirData() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        assumeTrue(backend.capabilities().canDiscard() && backend.capabilities().discardReadsZeros(),
                "backend does not promise zeros after discard");
        byte[] data = randomBytes(new Random(13), 128 * block);
        long offset = 64L * block;
        await(backend.write(offset, new ByteBuffer[] {buffer(data, true)}, false));

        await(backend.discard(offset + 32L * block, 64L * block));

        Arrays.fill(data, 32 * block, 96 * block, (byte) 0);
        assertArrayEquals(data, read(backend, offset, data.length));
    }

    @Test
    void writeZeroesMakesTheRangeReadAsZerosAndNeighboursKeepTheirData() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        byte[] data = randomBytes(new Random(17), 128 * block);
        await(backend.write(0, new ByteBuffer[] {buffer(data, false)}, false));

        await(backend.writeZeroes(block, 10L * block, false));
        await(backend.writeZeroes(100L * block, 3L * block, true));

        Arrays.fill(data, block, 11 * block, (byte) 0);
        Arrays.fill(data, 100 * block, 103 * block, (byte) 0);
        assertArrayEquals(data, read(backend, 0, data.length));
    }

    @Test
    void writeZeroesOverTheWholeBackendClearsEveryWrittenBlock() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        Random random = new Random(19);
        for (long offset = 0; offset < SIZE; offset += SIZE / 16) {
            await(backend.write(offset, new ByteBuffer[] {buffer(randomBytes(random, 8 * block), true)}, false));
        }

        await(backend.writeZeroes(0, SIZE, false));

        assertArrayEquals(new byte[(int) SIZE], read(backend, 0, (int) SIZE));
    }

    @Test
    void requestsOutsideTheBackendFailWithOutOfRangeAndChangeNothing() throws Exception {
        BlockBackend backend = backend(SIZE, block);
        byte[] lastBlock = randomBytes(new Random(23), block);
        await(backend.write(SIZE - block, new ByteBuffer[] {buffer(lastBlock, false)}, false));
        ByteBuffer[] twoBlocks = {ByteBuffer.allocate(2 * block)};

        assertFailsWith(Kind.OUT_OF_RANGE, backend.read(SIZE, ByteBuffer.allocate(block)));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.read(SIZE - block, ByteBuffer.allocate(2 * block)));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.read(-block, ByteBuffer.allocate(block)));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.write(SIZE - block, twoBlocks, false));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.write(SIZE, new ByteBuffer[] {ByteBuffer.allocate(block)}, true));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.discard(SIZE - block, 2L * block));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.discard(block, Long.MAX_VALUE));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.writeZeroes(SIZE - block, 2L * block, false));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.writeZeroes(-block, block, false));

        assertArrayEquals(lastBlock, read(backend, SIZE - block, block), "a refused request wrote nothing");
    }

    @Test
    void concurrentWritersOnDisjointRegionsEachReadBackTheirOwnData() throws Exception {
        BlockBackend backend = backend(SIZE, block);
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
                        int offset = regionStart + random.nextInt(regionBytes / block - blocks + 1) * block;
                        int choice = random.nextInt(10);
                        if (choice < 7) {
                            byte[] data = randomBytes(random, blocks * block);
                            await(backend.write(offset, new ByteBuffer[] {buffer(data, op % 2 == 0)}, choice == 0));
                            // Each writer owns its region of the model, so these copies never overlap.
                            System.arraycopy(data, 0, model, offset, data.length);
                        } else if (choice < 9) {
                            assertArrayEquals(Arrays.copyOfRange(model, offset, offset + blocks * block),
                                    read(backend, offset, blocks * block));
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
