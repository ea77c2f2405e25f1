package dev.jtarget.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8: a clone-per-initiator target gives every initiator name a copy-on-write disk of one golden image. Two
 * initiators (qemu's iSCSI driver with {@code initiator-name=}) each read the image, write their own data and never
 * see the other's; the clones survive a restart, pass {@code qemu-img check} once the server stopped, merge with
 * {@code qemu-img commit} into a copy of the image that then holds exactly what the initiator saw, and carry a
 * unit serial number of their own; an {@code on-logout="reset"} target starts every login from the image again.
 */
@Tag("integration")
class ClonePerInitiatorIT {
    private static final String KEEP = "iqn.2026-11.dev.jtarget:it.farm";
    private static final String RESET = "iqn.2026-11.dev.jtarget:it.farm-reset";
    private static final String ALPHA = "iqn.2026-11.dev.jtarget:builder-alpha";
    private static final String BETA = "iqn.2026-11.dev.jtarget:builder-beta";
    private static final int IMAGE_BYTES = 8 << 20;
    /** Larger than the image: blocks past its end read as zeros until written. */
    private static final int CLONE_BYTES = 12 << 20;
    /** Not cluster-aligned, so copy-on-write must keep the image's bytes around the write. */
    private static final int OFFSET = (1 << 20) + 512;
    private static final int LENGTH = 64 << 10;
    private static final int PAST_IMAGE = 10 << 20;
    private static final Duration SESSION_TIMEOUT = QemuSessions.SESSION_TIMEOUT;

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
    void everyInitiatorGetsItsOwnPersistentCloneOfTheImage() throws IOException {
        Tools.require("qemu-io", "qemu-img", "iscsi-inq");
        start("clones");
        assertVerified(qemuIo(KEEP, ALPHA, "write -P 0xa1 " + OFFSET + " " + LENGTH, "flush"));
        assertVerified(qemuIo(KEEP, BETA, "write -P 0xb2 " + OFFSET + " " + LENGTH,
                "write -P 0xb3 " + PAST_IMAGE + " 4096", "flush"));
        byte[] alphaDisk = expected(new int[] {OFFSET, LENGTH, 0xa1});
        byte[] betaDisk = expected(new int[] {OFFSET, LENGTH, 0xb2}, new int[] {PAST_IMAGE, 4096, 0xb3});
        assertArrayEquals(alphaDisk, readWholeDisk(KEEP, ALPHA), "alpha's disk");
        assertArrayEquals(betaDisk, readWholeDisk(KEEP, BETA), "beta's disk");
        String alphaSerial = unitSerialNumber(KEEP, ALPHA);
        String betaSerial = unitSerialNumber(KEEP, BETA);
        assertNotEquals(alphaSerial, betaSerial);

        server.close();
        List<Path> clones = clonesIn("clones-keep");
        assertEquals(2, clones.size(), clones.toString());
        for (Path clone : clones) {
            Tools.Result check = Tools.command("qemu-img", "check", clone.toString()).run();
            assertTrue(check.succeeded() && check.output().contains("No errors were found"), check.describe());
        }
        assertArrayEquals(image, Files.readAllBytes(workDir.resolve("gold.raw")), "the golden image changed");
        assertArrayEquals(alphaDisk, committedIntoACopyOfTheImage(cloneOf(clones, "builder-alpha")),
                "qemu-img commit of alpha's clone into a copy of the image");

        server.restart();
        assertArrayEquals(alphaDisk, readWholeDisk(KEEP, ALPHA), "alpha's disk after a restart");
        assertArrayEquals(betaDisk, readWholeDisk(KEEP, BETA), "beta's disk after a restart");
        assertEquals(alphaSerial, unitSerialNumber(KEEP, ALPHA));
        assertEquals(betaSerial, unitSerialNumber(KEEP, BETA));
        String log = server.logTail(400);
        System.out.println(log.lines().filter(line -> line.contains("created the clone")).toList());
    }

    @Test
    void resetTargetStartsEveryLoginFromTheImage() throws IOException {
        Tools.require("qemu-io", "qemu-img");
        start("clones-reset");
        assertVerified(qemuIo(RESET, ALPHA, "write -P 0xa1 " + OFFSET + " " + LENGTH, "flush",
                "read -P 0xa1 " + OFFSET + " " + LENGTH));
        awaitNoClones("clones-reset");
        assertArrayEquals(expected(), readWholeDisk(RESET, ALPHA), "alpha's disk after its logout");
        awaitNoClones("clones-reset");
    }

    /** A server stop ends the sessions, but the machines did not log out: their reset clones must survive it. */
    @Test
    void stoppingTheServerKeepsResetClones() throws IOException, InterruptedException {
        Tools.require("qemu-io", "stdbuf");
        start("clones-reset-stop");
        // Line-buffered, so "wrote" is in the file as soon as the write completed.
        List<String> argv = List.of("stdbuf", "-oL", "qemu-io", "-c", "write -P 0xa1 " + OFFSET + " " + LENGTH, "-c", "flush",
                "-c", "sleep 60000", "--image-opts", imageOptions(RESET, ALPHA));
        Process session = Tools.killOnExit(new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(workDir.resolve("qemu-io.out").toFile()).start());
        try {
            long deadline = System.nanoTime() + SESSION_TIMEOUT.toNanos();
            while (!Files.readString(workDir.resolve("qemu-io.out")).contains("wrote " + LENGTH)) {
                assertTrue(session.isAlive() && System.nanoTime() < deadline, "qemu-io did not write:\n"
                        + Files.readString(workDir.resolve("qemu-io.out")) + "\n" + server.logTail(40));
                Thread.sleep(50);
            }
            server.close();
            assertEquals(1, clonesIn("clones-reset").size(), server.logTail(40));
        } finally {
            Tools.killTree(session.toHandle());
        }
        server.restart();
        assertVerified(qemuIo(RESET, ALPHA, "read -P 0xa1 " + OFFSET + " " + LENGTH));
        awaitNoClones("clones-reset");
    }

    private void start(String run) throws IOException {
        image = new byte[IMAGE_BYTES];
        new Random(IMAGE_BYTES).nextBytes(image);
        Files.write(workDir.resolve("gold.raw"), image);
        Path keepDir = workDir.resolve("clones-keep");
        Path resetDir = workDir.resolve("clones-reset");
        server = TestServer.start(run, portal -> "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
                + "  <portal listen=\"" + portal + "\"/>\n"
                + "  <image name=\"gold\" path=\"" + workDir.resolve("gold.raw") + "\"/>\n"
                + "  <target name=\"" + KEEP + "\">\n"
                + "    <clone-per-initiator image=\"gold\" dir=\"" + keepDir + "\" size=\"" + CLONE_BYTES + "\"/>\n"
                + "  </target>\n"
                + "  <target name=\"" + RESET + "\">\n"
                + "    <clone-per-initiator image=\"gold\" dir=\"" + resetDir + "\" size=\"" + CLONE_BYTES + "\""
                + " on-logout=\"reset\"/>\n"
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

    private QemuSessions sessions() {
        return new QemuSessions(server, workDir);
    }

    private String imageOptions(String target, String initiator) {
        return sessions().imageOptions(target, initiator);
    }

    private Tools.Result qemuIo(String target, String initiator, String... commands) {
        return sessions().qemuIo(target, initiator, commands);
    }

    private void assertVerified(Tools.Result session) {
        sessions().assertVerified(session);
    }

    private byte[] readWholeDisk(String target, String initiator) throws IOException {
        return sessions().readWholeDisk(target, initiator);
    }

    private String unitSerialNumber(String target, String initiator) {
        String url = "iscsi://" + server.host() + ":" + server.port() + "/" + target + "/0";
        return server.assertSucceeded(Tools.command("iscsi-inq", "-i", initiator, "-e", "1", "-c", String.valueOf(0x80), url)
                .timeout(SESSION_TIMEOUT).run()).find("^Unit Serial Number:\\[(.*)\\]").trim();
    }

    private static Path cloneOf(List<Path> clones, String initiatorPart) {
        return clones.stream().filter(clone -> clone.getFileName().toString().contains(initiatorPart)).findFirst()
                .orElseThrow(() -> new AssertionError("no clone of " + initiatorPart + " in " + clones));
    }

    /**
     * What an operator gets from {@code qemu-img commit}: the clone merged into a copy of the image (the clone's own
     * header still names the real image, so a copy of the clone is pointed at the copy first, without rewriting
     * data). qemu grows the copy to the clone's size.
     */
    private byte[] committedIntoACopyOfTheImage(Path clone) throws IOException {
        Path imageCopy = workDir.resolve("gold-copy.raw");
        Path cloneCopy = workDir.resolve("clone-copy.qcow2");
        Files.copy(workDir.resolve("gold.raw"), imageCopy);
        Files.copy(clone, cloneCopy);
        server.assertSucceeded(Tools.command("qemu-img", "rebase", "-u", "-b", imageCopy.toString(), "-F", "raw",
                cloneCopy.toString()).run());
        server.assertSucceeded(Tools.command("qemu-img", "commit", cloneCopy.toString()).run());
        return Files.readAllBytes(imageCopy);
    }

    private List<Path> clonesIn(String dir) throws IOException {
        try (Stream<Path> files = Files.list(workDir.resolve(dir))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".qcow2")).sorted().toList();
        }
    }

    /** The clone is deleted when the server notices the session ended, which may be just after the client exits. */
    private void awaitNoClones(String dir) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!clonesIn(dir).isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "clones left after logout: " + clonesIn(dir) + "\n"
                    + server.logTail(40));
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
