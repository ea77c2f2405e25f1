package dev.jtarget.backend.qcow2;

import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.read;
import static dev.jtarget.backend.qcow2.Qcow2TestImages.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our overlays under QEMU's own tools, and QEMU's overlays under our code: qemu-img info/check/convert and qemu-io.
 * A 4 MiB golden image of random bytes under a 6 MiB overlay, so the last 2 MiB read as zeros from the start.
 */
@Tag("integration")
class Qcow2QemuInteropTest {
    private static final int GOLDEN_BYTES = 4 << 20;
    private static final long VIRTUAL_SIZE = 6L << 20;

    @TempDir
    Path directory;
    private Path golden;
    private byte[] goldenBytes;
    private Random random;

    @BeforeEach
    void goldenImage() throws Exception {
        QemuImg.assumeInstalled();
        random = new Random(Qcow2TestImages.seed("Qcow2QemuInteropTest"));
        golden = directory.resolve("golden.raw");
        goldenBytes = Qcow2TestImages.writeGolden(golden, GOLDEN_BYTES, random);
    }

    @Test
    void qemuImgInfoSeesAVersion3OverlayOfTheRawGoldenImage() throws Exception {
        Path overlay = directory.resolve("clone.qcow2");
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE);

        String info = QemuImg.succeed("qemu-img", "info", "--output=json", overlay.toString());

        assertEquals("qcow2", jsonString(info, "format"));
        assertEquals("1.1", jsonString(info, "compat"));
        assertEquals(golden.toAbsolutePath().toString(), jsonString(info, "backing-filename"));
        assertEquals("raw", jsonString(info, "backing-filename-format"));
        assertTrue(info.contains("\"virtual-size\": " + VIRTUAL_SIZE), info);
        assertTrue(info.contains("\"cluster-size\": 65536"), info);
        QemuImg.assertCheckClean(overlay);
    }

    @Test
    void ourRandomWorkloadLeavesQemuImgCheckCleanAndConvertEqualToTheModel() throws Exception {
        for (int clusterBits : new int[] {Qcow2Overlay.DEFAULT_CLUSTER_BITS, 12}) {
            Path overlay = directory.resolve("clone-" + clusterBits + ".qcow2");
            Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE, clusterBits);
            byte[] model = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
            try (Qcow2Overlay backend = Qcow2Overlay.open(overlay, BLOCK)) {
                Qcow2TestImages.randomWorkload(backend, model, random, 400, 1 << clusterBits);
                assertArrayEquals(model, read(backend, 0, model.length), "our own reads, cluster bits " + clusterBits);
            }

            QemuImg.assertCheckClean(overlay);
            assertArrayEquals(model, QemuImg.convertToRaw(overlay, directory.resolve("flat-" + clusterBits + ".raw")),
                    "qemu-img convert, cluster bits " + clusterBits);
        }
        assertArrayEquals(goldenBytes, Files.readAllBytes(golden), "the golden image is never written");
    }

    @Test
    void anOverlayQemuCreatedAndWroteReadsTheSameForUsAndStaysCleanUnderOurWrites() throws Exception {
        Path overlay = directory.resolve("qemu-made.qcow2");
        // A relative backing name: QEMU and we resolve it against the overlay's directory.
        QemuImg.succeed("qemu-img", "create", "-f", "qcow2", "-b", golden.getFileName().toString(), "-F", "raw",
                overlay.toString(), Long.toString(VIRTUAL_SIZE));
        QemuImg.succeed("qemu-io", "-f", "qcow2",
                "-c", "write -P 0xab 0 64k",
                "-c", "write -P 0xcd 70000 5000",
                "-c", "write -z 1M 192k",
                "-c", "write -P 0x11 3M 128k",
                "-c", "discard 3M 64k",
                "-c", "write -P 0x22 5M 8k",
                overlay.toString());
        byte[] model = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
        Arrays.fill(model, 0, 64 << 10, (byte) 0xab);
        Arrays.fill(model, 70000, 75000, (byte) 0xcd);
        Arrays.fill(model, 1 << 20, (1 << 20) + (192 << 10), (byte) 0);
        Arrays.fill(model, 3 << 20, (3 << 20) + (128 << 10), (byte) 0x11);
        // Whether a discarded cluster of an overlay reads as zeros or as the backing image is QEMU's choice: ask it.
        byte[] afterQemu = QemuImg.convertToRaw(overlay, directory.resolve("after-qemu.raw"));
        System.arraycopy(afterQemu, 3 << 20, model, 3 << 20, 64 << 10);
        Arrays.fill(model, 5 << 20, (5 << 20) + (8 << 10), (byte) 0x22);
        assertArrayEquals(model, afterQemu, "the model of qemu-io's writes");

        try (Qcow2Overlay backend = Qcow2Overlay.open(overlay, BLOCK)) {
            assertArrayEquals(model, read(backend, 0, model.length), "our reads of qemu's overlay");
            Qcow2TestImages.randomWorkload(backend, model, random, 300, 1 << 16);
        }

        QemuImg.assertCheckClean(overlay);
        assertArrayEquals(model, QemuImg.convertToRaw(overlay, directory.resolve("flat.raw")));
    }

    /** What qemu-img commit merges into a copy of the golden image is exactly what the overlay showed. */
    @Test
    void qemuImgCommitMergesOurOverlayIntoACopyOfTheGoldenImage() throws Exception {
        Path copy = directory.resolve("golden-copy.raw");
        Files.copy(golden, copy);
        Path overlay = directory.resolve("clone.qcow2");
        Qcow2Overlay.create(overlay, copy, VIRTUAL_SIZE);
        byte[] model = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
        try (Qcow2Overlay backend = Qcow2Overlay.open(overlay, BLOCK)) {
            Qcow2TestImages.randomWorkload(backend, model, random, 200, 1 << 16);
        }

        QemuImg.succeed("qemu-img", "commit", "-f", "qcow2", overlay.toString());

        assertArrayEquals(model, Files.readAllBytes(copy), "the committed image (grown to the overlay's size)");
        assertArrayEquals(goldenBytes, Files.readAllBytes(golden));
    }

    /**
     * Four writers at once on neighbouring regions whose borders fall inside clusters, so copy-on-write, discards
     * and flushes of different requests meet in the same clusters and tables.
     */
    @Test
    void concurrentWritersLeaveQemuImgCheckCleanAndConvertEqualToTheModel() throws Exception {
        Path overlay = directory.resolve("clone.qcow2");
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE);
        byte[] model = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
        int writers = 4;
        int region = (int) (VIRTUAL_SIZE / writers) - 3 * BLOCK;
        long[] seeds = random.longs(writers).toArray();
        try (Qcow2Overlay backend = Qcow2Overlay.open(overlay, BLOCK);
             ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int start = w * region + 5 * BLOCK;
                Random own = new Random(seeds[w]);
                done.add(pool.submit(() -> {
                    Qcow2TestImages.randomWorkload(backend, model, start, region, own, 150, 1 << 16);
                    return null;
                }));
            }
            for (Future<?> writer : done) {
                writer.get(2, TimeUnit.MINUTES);
            }
            assertArrayEquals(model, read(backend, 0, model.length), "our own reads");
        }

        QemuImg.assertCheckClean(overlay);
        assertArrayEquals(model, QemuImg.convertToRaw(overlay, directory.resolve("flat.raw")));
    }

    /**
     * Copies of the file taken while the overlay is open, as a crash would leave it (the page cache reaching the
     * disk): between requests qemu-img check finds at most leaked clusters; right after a flush it finds nothing, and
     * the copy alone already holds every completed write.
     */
    @Test
    void theFileAsACrashWouldLeaveItHasAtMostLeaksAndAfterAFlushAllTheData() throws Exception {
        Path overlay = directory.resolve("clone.qcow2");
        Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE, 12);
        byte[] model = Qcow2TestImages.modelOver(goldenBytes, VIRTUAL_SIZE);
        Path crashed = directory.resolve("crashed.qcow2");
        try (Qcow2Overlay backend = Qcow2Overlay.open(overlay, BLOCK)) {
            for (int round = 0; round < 40; round++) {
                Qcow2TestImages.randomWorkload(backend, model, random, 8, 1 << 12);
                Files.copy(overlay, crashed, StandardCopyOption.REPLACE_EXISTING);
                QemuImg.Result check = QemuImg.run("qemu-img", "check", "-f", "qcow2", crashed.toString());
                assertTrue(check.exitCode() == 0 || check.exitCode() == 3,
                        "round " + round + ": more than leaks: " + check.output());

                if (round % 10 == 9) {
                    await(backend.flush());
                    Files.copy(overlay, crashed, StandardCopyOption.REPLACE_EXISTING);
                    QemuImg.assertCheckClean(crashed);
                    assertArrayEquals(model, QemuImg.convertToRaw(crashed, directory.resolve("crashed.raw")),
                            "round " + round + ": the flushed file alone");
                }
            }
        }
    }

    private static String jsonString(String json, String key) {
        Matcher matcher = Pattern.compile("\"" + Pattern.quote(key) + "\":\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(matcher.find(), key + " missing from " + json);
        return matcher.group(1);
    }
}
