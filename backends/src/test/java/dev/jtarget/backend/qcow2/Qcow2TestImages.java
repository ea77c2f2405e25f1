package dev.jtarget.backend.qcow2;

import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;

import dev.jtarget.backend.BlockBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Golden images of random bytes and a randomized workload applied both to a backend and to a byte-array model. */
final class Qcow2TestImages {
    static final int BLOCK = 512;

    private Qcow2TestImages() {
    }

    /** A seed from the clock, printed; {@code -Dqcow2.seed=N} replays a failed run. */
    static long seed(String test) {
        long seed = Long.getLong("qcow2.seed", System.nanoTime());
        System.out.println(test + " seed " + seed + " (replay with -Dqcow2.seed=" + seed + ")");
        return seed;
    }

    static byte[] writeGolden(Path path, int bytes, Random random) throws IOException {
        byte[] golden = randomBytes(random, bytes);
        Files.write(path, golden);
        return golden;
    }

    /** What the overlay must read as before any write: the golden image, zeros past its end. */
    static byte[] modelOver(byte[] golden, long virtualSize) {
        return Arrays.copyOf(golden, (int) virtualSize);
    }

    /**
     * Random writes (some straddling clusters, some FUA), discards, write-zeroes and flushes, mirrored in
     * {@code model}. Lengths and offsets are whole blocks, from one block to a few clusters.
     */
    static void randomWorkload(BlockBackend backend, byte[] model, Random random, int operations, int clusterSize)
            throws Exception {
        randomWorkload(backend, model, 0, model.length, random, operations, clusterSize);
    }

    /** The same, confined to {@code [regionStart, regionStart + regionLength)}: disjoint regions may run at once. */
    static void randomWorkload(BlockBackend backend, byte[] model, int regionStart, int regionLength, Random random,
                               int operations, int clusterSize) throws Exception {
        int blocks = regionLength / BLOCK;
        for (int i = 0; i < operations; i++) {
            int length = Math.min((1 + random.nextInt(3 * clusterSize / BLOCK)) * BLOCK, regionLength);
            int offset = regionStart + random.nextInt(blocks - length / BLOCK + 1) * BLOCK;
            int choice = random.nextInt(10);
            if (choice < 6) {
                byte[] data = randomBytes(random, length);
                await(backend.write(offset, new ByteBuffer[] {buffer(data, random.nextBoolean())},
                        random.nextInt(8) == 0));
                System.arraycopy(data, 0, model, offset, length);
            } else if (choice < 8) {
                await(backend.discard(offset, length));
                Arrays.fill(model, offset, offset + length, (byte) 0);
            } else if (choice < 9) {
                await(backend.writeZeroes(offset, length, random.nextBoolean()));
                Arrays.fill(model, offset, offset + length, (byte) 0);
            } else {
                await(backend.flush());
            }
        }
    }
}
