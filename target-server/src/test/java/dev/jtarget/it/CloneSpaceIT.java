package dev.jtarget.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.SocketTransport;
import dev.jtarget.iscsi.initiator.TestInitiator;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, space: a clone directory on a 16 MiB tmpfs that one initiator fills through the write-back cache. Past
 * the soft threshold the initiator gets THIN PROVISIONING SOFT THRESHOLD REACHED (06h/38h/07h); when only the
 * reserve is left, writes that need new clusters fail at once with SPACE ALLOCATION FAILED (07h/27h/07h) while
 * overwrites, reads and SYNCHRONIZE CACHE keep working; after the server stops, {@code qemu-img check} finds the
 * overlay clean and it holds every acknowledged write.
 */
@Tag("integration")
class CloneSpaceIT {
    private static final String TARGET = "iqn.2026-11.dev.jtarget:it.space";
    private static final int BLOCK = 512;
    private static final int CHUNK = 1 << 20;
    private static final int IMAGE_BYTES = 4 << 20;
    private static final int CLONE_BYTES = 64 << 20;
    private static final int SOFT_THRESHOLD_UA = 0x063807;
    private static final int SPACE_ALLOCATION_FAILED = 0x072707;

    @TempDir
    Path workDir;

    @Test
    void aFullCloneDirectoryWarnsThenRefusesNewClustersAndLeavesTheOverlayClean() throws Exception {
        Tools.require("qemu-img", "qemu-io");
        Path clones = Files.createDirectory(workDir.resolve("clones"));
        Tools.Result mount = Tools.command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", clones.toString()).run();
        assumeTrue(mount.succeeded(), "cannot mount a tmpfs (needs root): " + mount.describe());
        try {
            Path overlay = fillThroughTheTarget(clones);
            Tools.Result check = Tools.command("qemu-img", "check", overlay.toString()).run();
            assertTrue(check.succeeded() && check.output().contains("No errors were found"), check.describe());
            for (int chunk : new int[] {0, 5}) {
                Tools.Result read = Tools.command("qemu-io", "-r", "-c", "read -P " + pattern(chunk) + " "
                        + (long) chunk * CHUNK + " " + CHUNK, overlay.toString()).run();
                assertTrue(read.succeeded() && !read.output().contains("verification failed"), read.describe());
            }
        } finally {
            Tools.command("umount", clones.toString()).run();
        }
    }

    /** Fills the clone, checking what the initiator sees on the way; returns the overlay once the server stopped. */
    private Path fillThroughTheTarget(Path clones) throws IOException {
        Files.write(workDir.resolve("gold.raw"), new byte[IMAGE_BYTES]);
        TestServer server = TestServer.start("clone-space", portal -> "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
                + "  <portal listen=\"" + portal + "\"/>\n"
                + "  <image name=\"gold\" path=\"" + workDir.resolve("gold.raw") + "\"/>\n"
                + "  <target name=\"" + TARGET + "\">\n"
                + "    <clone-per-initiator image=\"gold\" dir=\"" + clones + "\" size=\"" + CLONE_BYTES + "\""
                + " space-soft-threshold=\"50%\" space-reserve=\"2MiB\"/>\n"
                + "  </target>\n"
                + "</jtarget>\n");
        try (TestInitiator initiator = new TestInitiator(new SocketTransport(new InetSocketAddress(server.host(),
                server.port())), 0x80_0000_5A00L, BLOCK)) {
            ResponsePdu login = initiator.login(TARGET);
            assertEquals(0, login.loginStatus(), "login: " + login + "\n" + server.logTail(20));
            initiator.clearUnitAttention();

            int written = 0;
            boolean warned = false;
            while (true) {
                ScsiResult write = initiator.write((long) written * CHUNK / BLOCK, chunk(written));
                if (write.status() == ScsiResult.GOOD) {
                    written++;
                    assertTrue(written < CLONE_BYTES / CHUNK, "never refused\n" + server.logTail(20));
                    continue;
                }
                if (write.senseCode() == SOFT_THRESHOLD_UA) {
                    warned = true; // a unit attention: the write was not done; do it again
                    continue;
                }
                assertEquals(SPACE_ALLOCATION_FAILED, write.senseCode(), Arrays.toString(write.sense()));
                break;
            }
            System.out.println(written + " MiB written before SPACE ALLOCATION FAILED");
            assertTrue(written >= 8 && written <= 14, written + " MiB written\n" + server.logTail(20));
            if (!warned) {
                // The write that was refused also sampled the filesystem, which established the unit attention.
                assertEquals(SOFT_THRESHOLD_UA, initiator.testUnitReady().senseCode(), server.logTail(20));
            }

            byte[] again = chunk(100);
            assertEquals(ScsiResult.GOOD, initiator.write(0, again).status(), "overwrites need no space");
            assertEquals(ScsiResult.CHECK_CONDITION, initiator.write((long) written * CHUNK / BLOCK, again).status());
            ScsiResult read = initiator.read(5L * CHUNK / BLOCK, CHUNK / BLOCK);
            assertArrayEquals(chunk(5), read.dataIn(), "data written before the failure");
            assertEquals(ScsiResult.GOOD, synchronizeCache(initiator).status(), "everything accepted fits");
            assertEquals(ScsiResult.GOOD, initiator.write(0, chunk(0)).status());
            assertEquals(ScsiResult.GOOD, synchronizeCache(initiator).status());
            String log = server.logTail(200);
            assertTrue(log.contains("soft threshold of 50%") && log.contains("SPACE ALLOCATION FAILED"), log);
        } finally {
            server.close();
        }
        try (Stream<Path> files = Files.list(clones)) {
            List<Path> overlays = files.filter(f -> f.toString().endsWith(".qcow2")).toList();
            assertEquals(1, overlays.size(), overlays.toString());
            return overlays.getFirst();
        }
    }

    private static ScsiResult synchronizeCache(TestInitiator initiator) {
        RequestPdu command = initiator.command(Cdbs.synchronizeCache10(), TestInitiator.FLAG_FINAL, 0, new byte[0]);
        initiator.send(command);
        return initiator.awaitStatus(command.bhs().initiatorTaskTag());
    }

    private static String pattern(int chunk) {
        return "0x" + Integer.toHexString(0x10 + chunk);
    }

    private static byte[] chunk(int index) {
        byte[] data = new byte[CHUNK];
        Arrays.fill(data, (byte) (0x10 + index));
        return data;
    }
}
