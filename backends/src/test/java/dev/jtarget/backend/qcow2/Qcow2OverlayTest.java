package dev.jtarget.backend.qcow2;

import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static dev.jtarget.backend.BackendTestSupport.read;
import static dev.jtarget.backend.qcow2.Qcow2TestImages.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overlay over a golden image of random bytes: copy-on-write, persistence, space reuse, header checks. */
class Qcow2OverlayTest {
    private static final int CLUSTER = 1 << Qcow2Overlay.DEFAULT_CLUSTER_BITS;
    private static final int GOLDEN_BYTES = 1 << 20;
    private static final long VIRTUAL_SIZE = 2L << 20;

    @TempDir
    Path directory;
    private Path golden;
    private byte[] goldenBytes;
    private Path overlay;
    private Random random;

    @BeforeEach
    void goldenImage() throws IOException {
        random = new Random(Qcow2TestImages.seed("Qcow2OverlayTest"));
        golden = directory.resolve("golden.raw");
        goldenBytes = Qcow2TestImages.writeGolden(golden, GOLDEN_BYTES, random);
        overlay = directory.resolve("clone.qcow2");
    }

    /** What {@code jtarget image list} and the choice of a clone's read cache rely on, read without opening it. */
    @Test
    void summaryTellsTheVirtualSizeAndTheBackingImageWithoutOpening() throws IOException {
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE);
        assertEquals(new Qcow2Summary(VIRTUAL_SIZE, golden.toAbsolutePath().normalize()),
                Qcow2Overlay.summary(overlay));
        assertThrows(IOException.class, () -> Qcow2Overlay.summary(golden), "a raw file is no qcow2 image");
    }

    @Test
    void creationTakesWellUnderASecondAndAFewClustersForATebibyteDisk() throws Exception {
        long tebibyte = 1L << 40;
        long started = System.nanoTime();
        Qcow2Overlay.create(overlay, golden, tebibyte);
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.println("created a 1 TiB overlay in " + millis + " ms, " + Files.size(overlay) + " bytes");

        assertTrue(millis < 1000, "creation took " + millis + " ms");
        assertTrue(Files.size(overlay) <= 8L * CLUSTER, "a fresh overlay is " + Files.size(overlay) + " bytes");
        byte[] last = randomBytes(random, BLOCK);
        try (Qcow2Overlay clone = Qcow2Overlay.open(overlay, BLOCK)) {
            assertEquals(tebibyte, clone.sizeBytes());
            assertArrayEquals(new byte[BLOCK], read(clone, tebibyte - BLOCK, BLOCK), "past the golden image");
            await(clone.write(tebibyte - BLOCK, new ByteBuffer[] {buffer(last, false)}, true));
        }
        try (Qcow2Overlay reopened = Qcow2Overlay.open(overlay, BLOCK)) {
            assertArrayEquals(last, read(reopened, tebibyte - BLOCK, BLOCK));
            assertArrayEquals(Arrays.copyOf(goldenBytes, CLUSTER), read(reopened, 0, CLUSTER));
        }
    }

    @Test
    void aPartialWriteCopiesTheRestOfItsClusterFromTheGoldenImage() throws Exception {
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE);
        byte[] patch = randomBytes(random, 3 * BLOCK);
        long offset = 5L * CLUSTER + 7 * BLOCK;
        byte[] expected = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
        System.arraycopy(patch, 0, expected, (int) offset, patch.length);

        try (Qcow2Overlay clone = Qcow2Overlay.open(overlay, BLOCK)) {
            await(clone.write(offset, new ByteBuffer[] {buffer(patch, true)}, false));
            assertArrayEquals(expected, read(clone, 0, expected.length));
        }
        try (Qcow2Overlay reopened = Qcow2Overlay.open(overlay, BLOCK)) {
            assertArrayEquals(expected, read(reopened, 0, expected.length), "after close and reopen");
        }
        assertArrayEquals(goldenBytes, Files.readAllBytes(golden), "the golden image is never written");
    }

    @Test
    void concurrentPartialWritesIntoOneUnallocatedClusterAllLand() throws Exception {
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE);
        byte[] expected = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
        try (Qcow2Overlay clone = Qcow2Overlay.open(overlay, BLOCK)) {
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int cluster = 0; cluster < 4; cluster++) {
                for (int block = 0; block < CLUSTER / BLOCK; block += 3) {
                    int offset = cluster * CLUSTER + block * BLOCK;
                    byte[] data = randomBytes(random, BLOCK);
                    System.arraycopy(data, 0, expected, offset, BLOCK);
                    writes.add(clone.write(offset, new ByteBuffer[] {buffer(data, false)}, false));
                }
            }
            for (CompletableFuture<Void> write : writes) {
                await(write);
            }
            assertArrayEquals(expected, read(clone, 0, expected.length));
        }
    }

    @Test
    void aRandomWorkloadReadsBackLikeTheModelAfterReopening() throws Exception {
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE, 12);
        byte[] model = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
        try (Qcow2Overlay clone = Qcow2Overlay.open(overlay, BLOCK)) {
            Qcow2TestImages.randomWorkload(clone, model, random, 500, 1 << 12);
            assertArrayEquals(model, read(clone, 0, model.length));
        }
        try (Qcow2Overlay reopened = Qcow2Overlay.open(overlay, BLOCK)) {
            assertArrayEquals(model, read(reopened, 0, model.length));
        }
    }

    @Test
    void discardedClustersReadAsZerosAndTheirSpaceIsReused() throws Exception {
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE);
        int half = (int) (VIRTUAL_SIZE / 2);
        try (Qcow2Overlay clone = Qcow2Overlay.open(overlay, BLOCK)) {
            await(clone.write(0, new ByteBuffer[] {buffer(randomBytes(random, half), false)}, false));
            await(clone.flush());
            long filled = Files.size(overlay);

            await(clone.discard(0, half));
            await(clone.flush());
            assertArrayEquals(new byte[half], read(clone, 0, half), "discarded: zeros, not the golden image");
            byte[] second = randomBytes(random, half);
            await(clone.write(half, new ByteBuffer[] {buffer(second, false)}, false));
            await(clone.flush());

            assertEquals(filled, Files.size(overlay), "the second half reused the discarded clusters");
            assertArrayEquals(second, read(clone, half, half));
        }
    }

    @Test
    void openRefusesACorruptImageAndANonRawBackingFormat() throws Exception {
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE);
        patch(overlay, 72, ByteBuffer.allocate(8).putLong(0, Qcow2Header.INCOMPATIBLE_CORRUPT));
        IOException corrupt = assertThrows(IOException.class, () -> Qcow2Overlay.open(overlay, BLOCK));
        assertTrue(corrupt.getMessage().contains("corrupt"), corrupt.getMessage());

        Path other = directory.resolve("other.qcow2");
        Qcow2Overlay.create(other, golden, VIRTUAL_SIZE);
        // The backing format extension's data follows the header and the extension's type and length.
        patch(other, Qcow2Header.HEADER_LENGTH + 8, ByteBuffer.wrap("vhd".getBytes()));
        IOException notRaw = assertThrows(IOException.class, () -> Qcow2Overlay.open(other, BLOCK));
        assertTrue(notRaw.getMessage().contains("only raw"), notRaw.getMessage());
    }

    @Test
    void aVirtualSizeThatIsNoMultipleOfTheBlockSizeIsRefused() throws Exception {
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE + BLOCK);
        IOException refused = assertThrows(IOException.class, () -> Qcow2Overlay.open(overlay, 4096));
        assertTrue(refused.getMessage().contains("block size"), refused.getMessage());
    }

    private static void patch(Path file, long offset, ByteBuffer bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            Qcow2Io.writeFully(channel, bytes, offset);
        }
    }
}
