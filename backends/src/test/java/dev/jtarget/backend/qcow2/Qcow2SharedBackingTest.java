package dev.jtarget.backend.qcow2;

import static dev.jtarget.backend.BackendTestSupport.TIMEOUT_SECONDS;
import static dev.jtarget.backend.BackendTestSupport.read;
import static dev.jtarget.backend.qcow2.Qcow2TestImages.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.image.ImageReadCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clones of one golden image reading it through one shared read cache: a boot storm on the image's file. */
class Qcow2SharedBackingTest {
    private static final int GOLDEN_BYTES = 4 << 20;
    /** Larger than the image: the clones also read the zeros past its end, which cost no file reads. */
    private static final long VIRTUAL_SIZE = 5L << 20;
    private static final int REQUEST = 128 << 10;

    @TempDir
    Path directory;
    private Path golden;
    private byte[] goldenBytes;

    @BeforeEach
    void goldenImage() throws IOException {
        golden = directory.resolve("golden.raw");
        goldenBytes = Qcow2TestImages.writeGolden(golden, GOLDEN_BYTES,
                new Random(Qcow2TestImages.seed("Qcow2SharedBackingTest")));
    }

    /** Every clone reads its whole disk at once with the others; returns the bytes read from the image file. */
    private long bootStorm(int clones, long cacheBudget) throws Exception {
        List<Qcow2Overlay> overlays = new ArrayList<>();
        ExecutorService machines = Executors.newFixedThreadPool(clones);
        try (ImageReadCache cache = ImageReadCache.open(golden, cacheBudget)) {
            for (int i = 0; i < clones; i++) {
                Path clone = directory.resolve("clone-" + cacheBudget + "-" + i + ".qcow2");
                Qcow2Overlay.create(clone, golden, VIRTUAL_SIZE);
                overlays.add(Qcow2Overlay.open(clone, BLOCK, cache));
            }
            byte[] expected = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
            CyclicBarrier start = new CyclicBarrier(clones);
            List<Future<?>> boots = new ArrayList<>();
            for (Qcow2Overlay overlay : overlays) {
                boots.add(machines.submit(() -> {
                    start.await();
                    for (long offset = 0; offset < VIRTUAL_SIZE; offset += REQUEST) {
                        byte[] got = read(overlay, offset, REQUEST);
                        assertArrayEquals(Arrays.copyOfRange(expected, (int) offset, (int) offset + REQUEST), got,
                                "read at " + offset);
                    }
                    return null;
                }));
            }
            for (Future<?> boot : boots) {
                boot.get(TIMEOUT_SECONDS * 3, TimeUnit.SECONDS);
            }
            System.out.printf("%d clones, read cache %d bytes: %d bytes read from the %d-byte image (%.2fx),"
                            + " %d hits, %d misses, %d bypasses%n", clones, cacheBudget, cache.imageBytesRead(),
                    GOLDEN_BYTES, (double) cache.imageBytesRead() / GOLDEN_BYTES, cache.hits(), cache.misses(),
                    cache.bypasses());
            return cache.imageBytesRead();
        } finally {
            overlays.forEach(Qcow2Overlay::close);
            machines.shutdownNow();
        }
    }

    @Test
    void eightClonesReadTheImageFromItsFileAboutOnce() throws Exception {
        long bytesRead = bootStorm(8, 64L << 20);
        assertTrue(bytesRead >= GOLDEN_BYTES, "every byte of the image is read: " + bytesRead);
        assertTrue(bytesRead <= GOLDEN_BYTES + 8L * ImageReadCache.CHUNK_BYTES, "read " + bytesRead + " bytes");
    }

    @Test
    void fiftyClonesReadTheImageFromItsFileAboutOnce() throws Exception {
        long bytesRead = bootStorm(50, 64L << 20);
        assertTrue(bytesRead <= GOLDEN_BYTES + 50L * ImageReadCache.CHUNK_BYTES, "read " + bytesRead + " bytes");
    }

    @Test
    void withoutTheCacheEveryCloneReadsTheWholeImage() throws Exception {
        assertEquals(8L * GOLDEN_BYTES, bootStorm(8, 0));
    }

    @Test
    void anOverlayOfAnotherImageRefusesTheSharedCache() throws Exception {
        Path other = directory.resolve("other.raw");
        Qcow2TestImages.writeGolden(other, GOLDEN_BYTES, new Random(1));
        Path clone = directory.resolve("clone.qcow2");
        Qcow2Overlay.create(clone, other, VIRTUAL_SIZE);
        try (ImageReadCache cache = ImageReadCache.open(golden, 1 << 20)) {
            IOException refused = assertThrows(IOException.class, () -> Qcow2Overlay.open(clone, BLOCK, cache));
            assertTrue(refused.getMessage().contains("its backing image is " + other), refused.getMessage());
        }
    }
}
