package dev.jtarget.it.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jtarget.backend.file.FileBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LUN serves a full write/read-verify run through our iSCSI target (qemu-img copies an image in over iSCSI and back
 * out) when its blocks live on an NBD server, for each of qemu-nbd, nbdkit, nbd-server and our own peer, or on a raw
 * block device (a loop device). Where a file holds the blocks in the end, it must hold the image afterwards: the data
 * really went through NBD or the device.
 */
@Tag("integration")
class LunRoundTripTest {
    private static final long SIZE = 32L << 20;

    @TempDir
    Path logs;
    private Scratch scratch;
    private Process server;

    @BeforeEach
    void requireQemuImg() {
        Processes.assumeInstalled("qemu-img", "qemu-utils");
        scratch = new Scratch();
    }

    @AfterEach
    void stopServer() throws Exception {
        if (server != null) {
            Processes.kill(server);
        }
        if (scratch != null) {
            scratch.close();
        }
    }

    @Test
    void qemuNbd() throws Exception {
        Processes.assumeInstalled("qemu-nbd", "qemu-utils");
        Path image = scratch.sparseImage("qemu-nbd.img", SIZE);
        int port = Processes.freePort();
        // --persistent: survive the readiness probe's disconnect; --shared: room for our multi-conn connections.
        server = Processes.startServer(logs.resolve("qemu-nbd.log"), "qemu-nbd", "-f", "raw", "-x", "disk",
                "-b", "127.0.0.1", "-p", Integer.toString(port), "--persistent", "--shared=8", "--discard=unmap",
                image.toString());
        Processes.awaitListening(server.toHandle(), port, logs.resolve("qemu-nbd.log"));

        byte[] written = writeAndReadBackThroughIscsi("<nbd uri=\"nbd://127.0.0.1:" + port + "/disk\"/>");

        assertArrayEquals(written, Files.readAllBytes(image), "qemu-nbd's image holds what the initiator wrote");
    }

    @Test
    void nbdkitMemoryPlugin() throws Exception {
        Processes.assumeInstalled("nbdkit", "nbdkit");
        int port = Processes.freePort();
        server = Processes.startServer(logs.resolve("nbdkit.log"), "nbdkit", "--foreground", "--exit-with-parent",
                "-i", "127.0.0.1", "-p", Integer.toString(port), "memory", Long.toString(SIZE));
        Processes.awaitListening(server.toHandle(), port, logs.resolve("nbdkit.log"));

        writeAndReadBackThroughIscsi("<nbd uri=\"nbd://127.0.0.1:" + port + "/\"/>");
    }

    @Test
    void nbdServer() throws Exception {
        Processes.assumeInstalled("nbd-server", "nbd-server");
        Path image = scratch.sparseImage("nbd-server.img", SIZE);
        int port = Processes.freePort();
        Path config = Files.writeString(logs.resolve("nbd-server.conf"), """
                [generic]
                    listenaddr = 127.0.0.1
                    port = %d
                [disk]
                    exportname = %s
                    flush = true
                    fua = true
                    trim = true
                """.formatted(port, image));
        // nbd-server forks one process per client, and only does so as a daemon; the daemon writes its pid file.
        Path pidFile = logs.resolve("nbd-server.pid");
        Processes.Result launched = Processes.run(logs.resolve("nbd-server.log"), 30, "nbd-server", "-C",
                config.toString(), "-p", pidFile.toString());
        assertEquals(0, launched.exitCode(), launched.output());
        ProcessHandle daemon = awaitPid(pidFile);
        try {
            Processes.awaitListening(daemon, port, logs.resolve("nbd-server.log"));

            byte[] written = writeAndReadBackThroughIscsi("<nbd uri=\"nbd://127.0.0.1:" + port + "/disk\"/>");

            assertArrayEquals(written, Files.readAllBytes(image), "nbd-server's image holds what was written");
        } finally {
            Processes.kill(daemon);
        }
    }

    @Test
    void ourOwnPeer() throws Exception {
        Path image = scratch.resolve("peer.img");
        try (PeerProcess peer = PeerProcess.start(logs.resolve("peer.log"), "disk", image, "32M")) {
            byte[] written = writeAndReadBackThroughIscsi("<nbd uri=\"" + peer.uri("disk") + "\"/>");

            assertArrayEquals(written, Files.readAllBytes(image), "the peer's file holds what was written");
        }
    }

    @Test
    void loopDevice() throws Exception {
        loopDevice(false);
    }

    @Test
    void loopDeviceWithDirectIo() throws Exception {
        loopDevice(true);
    }

    @Test
    void fileWithDirectIo() throws Exception {
        // Under the build directory, on a disk filesystem, whose block size the LUN's must be a multiple of.
        Path directory = Files.createDirectories(Path.of("target", "direct-io-it").toAbsolutePath());
        Path image = directory.resolve("direct.img");
        Files.deleteIfExists(image);
        int blockSize = Math.max(512, FileBackend.directAlignment(directory));
        try {
            byte[] written = writeAndReadBackThroughIscsi("<file path=\"" + image + "\" size=\"" + SIZE
                    + "\" direct=\"true\"/>", blockSize);

            assertArrayEquals(written, Files.readAllBytes(image), "the file holds what was written");
        } finally {
            Files.deleteIfExists(image);
        }
    }

    private void loopDevice(boolean direct) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/loop-control")),
                "a loop device needs root and the loop module: skipping");
        Processes.assumeInstalled("losetup", "mount");
        Path image = scratch.sparseImage("loop.img", SIZE);
        Processes.Result attached = Processes.run(logs.resolve("losetup.log"), 30, "losetup", "--find", "--show",
                image.toString());
        assertEquals(0, attached.exitCode(), attached.output());
        String device = attached.output().strip();
        try {
            byte[] written = writeAndReadBackThroughIscsi("<device path=\"" + device + "\" direct=\"" + direct
                    + "\"/>");

            assertArrayEquals(written, Files.readAllBytes(image), "the loop device's file holds what was written");
        } finally {
            Processes.run(logs.resolve("losetup.log"), 30, "losetup", "--detach", device);
        }
    }

    /**
     * Copies a random image into the LUN with qemu-img over iSCSI and back out, checks the copy, and returns the
     * image. Closing the target at the end flushes the LUN, so a file behind the NBD server then holds the image.
     */
    private byte[] writeAndReadBackThroughIscsi(String lunBody) throws Exception {
        return writeAndReadBackThroughIscsi(lunBody, 512);
    }

    private byte[] writeAndReadBackThroughIscsi(String lunBody, int blockSize) throws Exception {
        byte[] content = new byte[(int) SIZE];
        new Random(SIZE).nextBytes(content);
        Path source = Files.write(scratch.resolve("source.raw"), content);
        Path copy = scratch.resolve("copy.raw");
        Path log = logs.resolve("qemu-img.log");
        try (IscsiTarget target = IscsiTarget.start(logs, lunBody, blockSize)) {
            Processes.Result in = Processes.run(log, 60, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw",
                    source.toString(), target.lunUrl());
            assertEquals(0, in.exitCode(), "qemu-img convert into the LUN: " + in.output());
            Processes.Result out = Processes.run(log, 60, "qemu-img", "convert", "-f", "raw", "-O", "raw",
                    target.lunUrl(), copy.toString());
            assertEquals(0, out.exitCode(), "qemu-img convert out of the LUN: " + out.output());
        }
        assertArrayEquals(content, Files.readAllBytes(copy), "what came back out of the LUN is what went in");
        return content;
    }

    private static ProcessHandle awaitPid(Path pidFile) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("nbd-server wrote no pid file " + pidFile);
            }
            Thread.sleep(20);
        }
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        ProcessHandle daemon = ProcessHandle.of(pid).orElse(null);
        assertNotNull(daemon, "nbd-server (pid " + pid + ") is already gone");
        return daemon;
    }
}
