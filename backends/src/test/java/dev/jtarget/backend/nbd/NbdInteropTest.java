package dev.jtarget.backend.nbd;

import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static dev.jtarget.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.memory.MemoryBackend;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with NBD implementations nobody here wrote: our client against qemu-nbd, nbdkit and nbd-server,
 * and our server under qemu-io and qemu-img. Each test skips (with the package to install) when its tool is missing.
 */
@Tag("integration")
class NbdInteropTest {
    private static final long MIB = 1L << 20;
    private static final long SIZE = 16 * MIB;
    private static final NbdClientOptions OPTIONS = NbdClientOptions.defaults()
            .withReconnectDelays(Duration.ofMillis(50), Duration.ofMillis(500));

    @TempDir
    Path directory;
    /** Where the servers' image files go: tmpfs when there is one, so their fsyncs do not wait on a busy CI disk. */
    private Path images;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void chooseImageDirectory() throws IOException {
        Path shm = Path.of("/dev/shm");
        if (!Files.isDirectory(shm) || !Files.isWritable(shm)) {
            images = directory;
            return;
        }
        Path created = Files.createTempDirectory(shm, "jtarget-nbd-");
        images = created;
        closeLater(() -> {
            try (var files = Files.list(created)) {
                for (Path file : files.toList()) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(created);
        });
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private Path sparseImage(String name) throws IOException {
        Path image = images.resolve(name);
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(SIZE);
        }
        return image;
    }

    private ExternalProcess qemuNbd(Path image, int port) throws Exception {
        // --shared: room for our multi-conn connections; --persistent: survive our readiness probe's disconnect.
        return closeLater(ExternalProcess.start(directory.resolve("qemu-nbd.log"), "qemu-nbd", "-f", "raw",
                "-x", "disk", "-b", "127.0.0.1", "-p", String.valueOf(port), "--persistent", "--shared=8",
                "--discard=unmap", image.toString())).awaitTcp(port);
    }

    @Test
    void qemuNbdOverTcpServesSplitRequestsFuaFlushTrimAndZeroes() throws Exception {
        ExternalProcess.assumeInstalled("qemu-nbd", "qemu-utils");
        Path image = sparseImage("qemu.img");
        int port = ExternalProcess.freePort();
        qemuNbd(image, port);
        // Small requests, so that the 3 MiB write is split into many against a server nobody here wrote.
        NbdBackend backend = closeLater(NbdBackend.connect(NbdUri.parse("nbd://127.0.0.1:" + port + "/disk"),
                OPTIONS.withMaxRequestBytes(128 * 1024)));

        byte[] expected = exercise(backend);

        assertArrayEquals(expected, Files.readAllBytes(image), "the image file holds what the client wrote");
    }

    @Test
    void qemuNbdOverAUnixSocket() throws Exception {
        ExternalProcess.assumeInstalled("qemu-nbd", "qemu-utils");
        Path image = sparseImage("qemu-unix.img");
        Path socket = directory.resolve("qemu.sock");
        closeLater(ExternalProcess.start(directory.resolve("qemu-nbd.log"), "qemu-nbd", "-f", "raw", "-x", "disk",
                "-k", socket.toString(), "--persistent", "--shared=8", image.toString())).awaitUnix(socket);
        NbdBackend backend = closeLater(NbdBackend.connect(NbdUri.parse("nbd+unix:///disk?socket=" + socket),
                OPTIONS));

        byte[] expected = exercise(backend);

        assertArrayEquals(expected, Files.readAllBytes(image));
    }

    @Test
    void nbdkitMemoryPlugin() throws Exception {
        ExternalProcess.assumeInstalled("nbdkit", "nbdkit");
        int port = ExternalProcess.freePort();
        closeLater(ExternalProcess.start(directory.resolve("nbdkit.log"), "nbdkit", "--foreground",
                "--exit-with-parent", "-i", "127.0.0.1", "-p", String.valueOf(port), "memory", "16M"))
                .awaitTcp(port);
        NbdBackend backend = closeLater(NbdBackend.connect(NbdUri.parse("nbd://127.0.0.1:" + port + "/"), OPTIONS));

        exercise(backend);
    }

    @Test
    void nbdkitWithBlockSizeConstraintsAndNeitherFuaNorWriteZeroesGetsThemHonouredAndEmulated() throws Exception {
        ExternalProcess.assumeInstalled("nbdkit", "nbdkit");
        int port = ExternalProcess.freePort();
        Path log = directory.resolve("nbdkit-requests.log");
        // log: what reaches the server; nozero and fua: no WRITE_ZEROES, no FUA advertised; blocksize-policy:
        // advertise (and enforce, with EINVAL) 4 KiB minimum, 64 KiB preferred and 256 KiB maximum block sizes.
        closeLater(ExternalProcess.start(directory.resolve("nbdkit.log"), "nbdkit", "--foreground",
                "--exit-with-parent", "-i", "127.0.0.1", "-p", String.valueOf(port), "--filter=log",
                "--filter=nozero", "--filter=fua", "--filter=blocksize-policy", "memory", "16M",
                "logfile=" + log, "blocksize-minimum=4096", "blocksize-preferred=65536", "blocksize-maximum=256K",
                "blocksize-error-policy=error")).awaitTcp(port);
        NbdUri uri = NbdUri.parse("nbd://127.0.0.1:" + port + "/");
        IOException refused = assertThrows(IOException.class,
                () -> closeLater(NbdBackend.connect(uri, OPTIONS.withBlockSize(512))));
        assertTrue(refused.getMessage().contains("minimum block size 4096"), refused.getMessage());

        NbdBackend backend = NbdBackend.connect(uri, OPTIONS);
        byte[] data = randomBytes(new Random(5), (int) MIB);
        try {
            assertEquals(4096, backend.blockSize());
            await(backend.write(0, new ByteBuffer[] {buffer(data, true)}, true));
            await(backend.writeZeroes(64 * 1024, 128 * 1024, true));
            Arrays.fill(data, 64 * 1024, 192 * 1024, (byte) 0);
            assertArrayEquals(data, read(backend, 0, data.length));
        } finally {
            backend.close();
        }

        List<String> requests = Files.readAllLines(log);
        assertTrue(requests.stream().anyMatch(line -> line.contains(" Flush ")), "FUA became FLUSH: " + requests);
        assertTrue(requests.stream().noneMatch(line -> line.contains("fua=1") || line.contains(" Zero ")),
                "no FUA flag and no WRITE_ZEROES were sent: " + requests);
        Matcher counts = Pattern.compile(" (?:Read|Write) .*count=0x([0-9a-f]+)").matcher(String.join("\n", requests));
        int transfers = 0;
        while (counts.find()) {
            transfers++;
            assertTrue(Long.parseLong(counts.group(1), 16) <= 256 * 1024, "within the maximum: " + counts.group());
        }
        assertTrue(transfers >= 8, "1 MiB in 256 KiB pieces, both ways: " + transfers);
    }

    @Test
    void nbdServerReferenceImplementation() throws Exception {
        ExternalProcess.assumeInstalled("nbd-server", "nbd-server");
        Path image = sparseImage("nbd-server.img");
        int port = ExternalProcess.freePort();
        Path config = directory.resolve("nbd-server.conf");
        Files.writeString(config, """
                [generic]
                    listenaddr = 127.0.0.1
                    port = %d
                [disk]
                    exportname = %s
                    flush = true
                    fua = true
                    trim = true
                """.formatted(port, image));
        // Not -d: in the foreground nbd-server serves a single connection and exits. It forks per connection.
        Path pidFile = directory.resolve("nbd-server.pid");
        closeLater(ExternalProcess.startDaemon(directory.resolve("nbd-server.log"), pidFile, "nbd-server", "-C",
                config.toString(), "-p", pidFile.toString())).awaitTcp(port);
        NbdBackend backend = closeLater(NbdBackend.connect(NbdUri.parse("nbd://127.0.0.1:" + port + "/disk"),
                OPTIONS));

        byte[] expected = exercise(backend);

        assertArrayEquals(expected, Files.readAllBytes(image));
    }

    /**
     * Writes (gathered, some FUA), flushes, zeroes and trims, checking every step by reading back. Returns the expected
     * content of the whole export.
     */
    private static byte[] exercise(NbdBackend backend) throws Exception {
        assertEquals(SIZE, backend.sizeBytes());
        assertTrue(backend.capabilities().needsFlush(), "every server here has a write cache to flush");
        byte[] model = new byte[(int) SIZE];
        Random random = new Random(42);
        int length = (int) (3 * MIB);
        byte[] first = randomBytes(random, length / 3);
        byte[] rest = randomBytes(random, length - first.length);
        await(backend.write(MIB, new ByteBuffer[] {buffer(first, true), buffer(rest, false)}, false));
        System.arraycopy(first, 0, model, (int) MIB, first.length);
        System.arraycopy(rest, 0, model, (int) MIB + first.length, rest.length);
        byte[] durable = randomBytes(random, 64 * 1024);
        await(backend.write(SIZE - durable.length, new ByteBuffer[] {buffer(durable, true)}, true));
        System.arraycopy(durable, 0, model, (int) SIZE - durable.length, durable.length);
        await(backend.flush());
        assertArrayEquals(model, read(backend, 0, (int) SIZE), "after writes and flush");

        await(backend.writeZeroes(MIB + 4096, 256 * 1024, true));
        Arrays.fill(model, (int) MIB + 4096, (int) MIB + 4096 + 256 * 1024, (byte) 0);
        if (backend.capabilities().canDiscard()) {
            // After TRIM the range's content is unspecified; what matters is that the neighbours keep theirs.
            await(backend.discard(2 * MIB, MIB));
            byte[] trimmed = read(backend, 2 * MIB, (int) MIB);
            System.arraycopy(trimmed, 0, model, (int) (2 * MIB), trimmed.length);
        }
        await(backend.flush());
        assertArrayEquals(model, read(backend, 0, (int) SIZE), "after zeroing and trimming");
        return model;
    }

    @Test
    void writesSurviveQemuNbdKilledMidWorkloadAndRestartedOnTheSamePort() throws Exception {
        ExternalProcess.assumeInstalled("qemu-nbd", "qemu-utils");
        Path image = sparseImage("fault.img");
        int port = ExternalProcess.freePort();
        ExternalProcess peer = qemuNbd(image, port);
        NbdBackend backend = closeLater(NbdBackend.connect(NbdUri.tcp("127.0.0.1", port, "disk"),
                OPTIONS.withUnavailableTimeout(Duration.ofSeconds(30))));
        byte[] model = new byte[(int) SIZE];
        Random random = new Random(7);
        int chunk = 64 * 1024;
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            if (i == 80) {
                peer.kill();
            }
            if (i == 160) {
                Thread.sleep(2000);
                peer = qemuNbd(image, port);
            }
            byte[] data = randomBytes(random, chunk);
            writes.add(backend.write((long) i * chunk, new ByteBuffer[] {buffer(data, false)}, false));
            System.arraycopy(data, 0, model, i * chunk, chunk);
        }
        await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));
        flushAllowingOneReportOfPossibleLoss(backend);

        assertArrayEquals(model, read(backend, 0, (int) SIZE), "every write landed despite the crash");
        assertArrayEquals(model, Files.readAllBytes(image), "and reached the image file");
    }

    /** After a lost connection the first flush may say that unflushed writes may be gone (here they are not). */
    private static void flushAllowingOneReportOfPossibleLoss(NbdBackend backend) throws Exception {
        try {
            backend.flush().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertEquals(Kind.NOT_READY, ((BackendException) e.getCause()).kind(), e.getCause().getMessage());
            await(backend.flush());
        }
    }

    @Test
    void qemuIoWritesReadsFlushesZeroesAndDiscardsThroughOurServer() throws Exception {
        ExternalProcess.assumeInstalled("qemu-io", "qemu-utils");
        MemoryBackend disk = closeLater(new MemoryBackend(SIZE, 512));
        NbdServer server = closeLater(NbdServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of("disk", disk)));
        byte[] old = randomBytes(new Random(9), (int) MIB);
        await(disk.write(2 * MIB, new ByteBuffer[] {buffer(old, false)}, false));

        ExternalProcess.Result result = ExternalProcess.run(directory.resolve("qemu-io.log"), "qemu-io", "-f", "raw",
                "nbd://127.0.0.1:" + server.port() + "/disk",
                "-c", "write -P 0xab 0 1M", "-c", "read -P 0xab 0 1M",
                "-c", "write -f -P 0xcd 1M 64k", "-c", "flush",
                "-c", "write -z 2M 512k", "-c", "discard 3M 1M", "-c", "read -P 0xcd 1M 64k");

        assertEquals(0, result.exitCode(), result.output());
        assertFalse(result.output().contains("failed"), result.output());
        byte[] expected = new byte[(int) (3 * MIB)];
        Arrays.fill(expected, 0, (int) MIB, (byte) 0xab);
        Arrays.fill(expected, (int) MIB, (int) MIB + 65536, (byte) 0xcd);
        System.arraycopy(old, 512 * 1024, expected, (int) (2 * MIB + 512 * 1024), 512 * 1024);
        assertArrayEquals(expected, read(disk, 0, expected.length));
    }

    @Test
    void qemuImgConvertCopiesAnImageIntoAndOutOfOurServer() throws Exception {
        ExternalProcess.assumeInstalled("qemu-img", "qemu-utils");
        MemoryBackend disk = closeLater(new MemoryBackend(SIZE, 512));
        NbdServer server = closeLater(NbdServer.start(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), Map.of("disk", disk)));
        String url = "nbd://127.0.0.1:" + server.port() + "/disk";
        byte[] content = randomBytes(new Random(11), (int) SIZE);
        Arrays.fill(content, (int) (4 * MIB), (int) (8 * MIB), (byte) 0); // a zero run qemu-img may skip or zero
        Path source = Files.write(directory.resolve("source.raw"), content);
        Path copy = directory.resolve("copy.raw");

        ExternalProcess.Result in = ExternalProcess.run(directory.resolve("convert-in.log"), "qemu-img", "convert",
                "-n", "-f", "raw", "-O", "raw", source.toString(), url);
        assertEquals(0, in.exitCode(), in.output());
        assertArrayEquals(content, read(disk, 0, (int) SIZE), "the image arrived in our backend");

        ExternalProcess.Result out = ExternalProcess.run(directory.resolve("convert-out.log"), "qemu-img", "convert",
                "-f", "raw", "-O", "raw", url, copy.toString());
        assertEquals(0, out.exitCode(), out.output());
        assertArrayEquals(content, Files.readAllBytes(copy), "and came back out unchanged");
    }
}
