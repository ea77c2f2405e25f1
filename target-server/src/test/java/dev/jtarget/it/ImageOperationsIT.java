package dev.jtarget.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, operations: two initiators (qemu's libiscsi driver with {@code initiator-name=}) write their clones and
 * log out; {@code jtarget image list}, {@code promote} and {@code retarget}, run from another process against the
 * running server, make alpha's disk the next image version; a new initiator's clone then starts from alpha's data
 * while alpha and beta keep their own disks. {@code qemu-img} agrees: every overlay checks clean, and the promoted
 * image is identical to {@code qemu-img convert} of alpha's clone. {@code jtarget status} reports each image's read
 * cache. The retarget survives a restart.
 */
@Tag("integration")
class ImageOperationsIT {
    private static final String TARGET = "iqn.2026-11.dev.jtarget:it.images";
    private static final String ALPHA = "iqn.2026-11.dev.jtarget:builder-alpha";
    private static final String BETA = "iqn.2026-11.dev.jtarget:builder-beta";
    private static final String GAMMA = "iqn.2026-11.dev.jtarget:builder-gamma";
    private static final int IMAGE_BYTES = 8 << 20;
    private static final int CLONE_BYTES = 12 << 20;
    /** Not cluster-aligned, so copy-on-write must keep the image's bytes around the write. */
    private static final int OFFSET = (1 << 20) + 512;
    private static final int LENGTH = 64 << 10;
    private static final int PAST_IMAGE = 10 << 20;
    private static final String RUN = "image-operations";

    @TempDir
    Path workDir;
    private TestServer server;
    private byte[] image;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void promotedCloneBecomesTheImageOfNewClonesWhileOldClonesKeepTheirs() throws IOException {
        Tools.require("qemu-io", "qemu-img");
        start();
        assertVerified(qemuIo(ALPHA, "write -P 0xa1 " + OFFSET + " " + LENGTH, "write -P 0xa2 " + PAST_IMAGE + " 4096",
                "flush"));
        assertVerified(qemuIo(BETA, "write -P 0xb1 " + OFFSET + " " + LENGTH, "flush"));
        byte[] alphaDisk = expected(new int[] {OFFSET, LENGTH, 0xa1}, new int[] {PAST_IMAGE, 4096, 0xa2});
        byte[] betaDisk = expected(new int[] {OFFSET, LENGTH, 0xb1});

        String list = awaitLoggedOut(ALPHA);
        assertTrue(list.contains("image gold path=" + workDir.resolve("gold.raw") + " size=" + IMAGE_BYTES), list);
        assertTrue(list.contains("target " + TARGET + " image=gold dir="), list);
        assertTrue(cloneLine(list, BETA).contains(" image=gold ("), list);
        Path alphaClone = cloneFile(list, ALPHA);
        Path betaClone = cloneFile(list, BETA);

        Tools.Result promote = server.jtarget("image", "promote", TARGET, ALPHA, "gold-v2");
        server.assertSucceeded(promote);
        Path promoted = workDir.resolve("gold-v2.raw");
        assertTrue(promote.output().contains(promoted.toString()), promote.describe());
        server.assertSucceeded(server.jtarget("image", "retarget", TARGET, "gold-v2"));
        Tools.Result unknown = server.jtarget("image", "retarget", TARGET, "gold-v9");
        assertFalse(unknown.succeeded(), unknown.describe());
        assertTrue(unknown.output().contains("no image named 'gold-v9'"), unknown.describe());

        assertArrayEquals(alphaDisk, readWholeDisk(GAMMA), "a new clone starts from the promoted image");
        assertArrayEquals(alphaDisk, readWholeDisk(ALPHA), "alpha keeps its disk");
        assertArrayEquals(betaDisk, readWholeDisk(BETA), "beta keeps its disk, made of the old image");
        list = awaitLoggedOut(GAMMA);
        assertTrue(list.contains("image gold-v2 path=" + promoted + " size=" + CLONE_BYTES), list);
        assertTrue(list.contains("target " + TARGET + " image=gold-v2 (retargeted in "), list);
        assertTrue(cloneLine(list, GAMMA).contains(" image=gold-v2 (" + promoted + ")"), list);
        assertTrue(cloneLine(list, BETA).contains(" image=gold ("), list);
        Path gammaClone = cloneFile(list, GAMMA);
        String status = server.assertSucceeded(server.status()).output();
        assertTrue(status.lines().anyMatch(line -> line.startsWith("read cache of " + promoted)
                && line.contains(" bytes read from the image file, ")), status);

        server.close();
        for (Path clone : List.of(alphaClone, betaClone, gammaClone)) {
            Tools.Result check = Tools.command("qemu-img", "check", clone.toString()).run();
            assertTrue(check.succeeded() && check.output().contains("No errors were found"), check.describe());
        }
        Path converted = workDir.resolve("alpha-converted.raw");
        Tools.Result convert = Tools.command("qemu-img", "convert", "-O", "raw", alphaClone.toString(),
                converted.toString()).run();
        assertTrue(convert.succeeded(), convert.describe());
        Tools.Result compare = Tools.command("qemu-img", "compare", "-f", "raw", "-F", "raw", promoted.toString(),
                converted.toString()).run();
        assertTrue(compare.succeeded() && compare.output().contains("Images are identical"), compare.describe());
        Tools.Result info = Tools.command("qemu-img", "info", gammaClone.toString()).run();
        assertTrue(info.output().contains("backing file: " + promoted), info.describe());
        assertArrayEquals(image, Files.readAllBytes(workDir.resolve("gold.raw")), "the golden image changed");

        server.restart();
        list = server.assertSucceeded(server.jtarget("image", "list")).output();
        assertTrue(list.contains("target " + TARGET + " image=gold-v2 (retargeted in "), list);
        assertTrue(server.logTail(400).contains("new clones are made of image 'gold-v2'"), "logged at startup");
        assertArrayEquals(betaDisk, readWholeDisk(BETA), "beta's disk after a restart");
    }

    private void start() throws IOException {
        image = new byte[IMAGE_BYTES];
        new Random(IMAGE_BYTES).nextBytes(image);
        Files.write(workDir.resolve("gold.raw"), image);
        Path clones = workDir.resolve("clones");
        // The state next to the config outlives the run; a previous run's promoted image is gone with its @TempDir.
        Files.deleteIfExists(ItPaths.outputDir(RUN).resolve("state").resolve("images.properties"));
        server = TestServer.start(RUN, portal -> "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
                + "  <portal listen=\"" + portal + "\"/>\n"
                + "  <image name=\"gold\" path=\"" + workDir.resolve("gold.raw") + "\"/>\n"
                + "  <target name=\"" + TARGET + "\">\n"
                + "    <clone-per-initiator image=\"gold\" dir=\"" + clones + "\" size=\"" + CLONE_BYTES + "\"/>\n"
                + "  </target>\n"
                + "</jtarget>\n");
    }

    /** The image, zeros up to the clone's size, and each {offset, length, pattern byte} written over it. */
    private byte[] expected(int[]... writes) {
        byte[] disk = Arrays.copyOf(image, CLONE_BYTES);
        for (int[] write : writes) {
            Arrays.fill(disk, write[0], write[0] + write[1], (byte) write[2]);
        }
        return disk;
    }

    /**
     * {@code jtarget image list} once the server noticed that {@code initiator}'s session ended, which may be just
     * after the client exits: promoting a clone in use is refused.
     */
    private String awaitLoggedOut(String initiator) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            String list = server.assertSucceeded(server.jtarget("image", "list")).output();
            if (cloneLine(list, initiator).contains(" logged-in=no ")) {
                return list;
            }
            assertTrue(System.nanoTime() < deadline, "still logged in:\n" + list);
        }
    }

    private static String cloneLine(String list, String initiator) {
        return list.lines().filter(line -> line.contains("clone initiator=" + initiator + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no clone of " + initiator + " in:\n" + list));
    }

    private Path cloneFile(String list, String initiator) {
        Matcher file = Pattern.compile(" file=(\\S+) ").matcher(cloneLine(list, initiator));
        assertTrue(file.find(), list);
        return workDir.resolve("clones").resolve(file.group(1));
    }

    private QemuSessions sessions() {
        return new QemuSessions(server, workDir);
    }

    private Tools.Result qemuIo(String initiator, String... commands) {
        return sessions().qemuIo(TARGET, initiator, commands);
    }

    private void assertVerified(Tools.Result session) {
        sessions().assertVerified(session);
    }

    private byte[] readWholeDisk(String initiator) throws IOException {
        return sessions().readWholeDisk(TARGET, initiator);
    }
}
