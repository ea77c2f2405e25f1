package dev.jtarget.backend.nbd;

import static dev.jtarget.backend.BackendTestSupport.assertFailsWith;
import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static dev.jtarget.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.delay.DelayedBackend;
import dev.jtarget.backend.fault.FaultInjectingBackend;
import dev.jtarget.backend.file.FileBackend;
import dev.jtarget.backend.file.FileBackendOptions;
import dev.jtarget.backend.memory.MemoryBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** NbdBackend against our own NbdServer: negotiation, splitting, multi-conn, error mapping, peer loss. */
class NbdBackendTest {
    private static final int BLOCK = 512;
    private static final long SIZE = 8L << 20;
    /** Quick reconnection, so that tests of peer loss take a fraction of a second. */
    private static final NbdClientOptions FAST = NbdClientOptions.defaults()
            .withReconnectDelays(Duration.ofMillis(20), Duration.ofMillis(200));

    @TempDir
    Path directory;

    private final List<AutoCloseable> closeables = new ArrayList<>();

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

    private NbdServer serve(int port, BlockBackend disk, NbdServerOptions options) throws IOException {
        return NbdServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), Map.of("disk", disk),
                options);
    }

    private NbdBackend connect(NbdServer server, NbdClientOptions options) throws IOException {
        return closeLater(NbdBackend.connect(NbdUri.tcp("127.0.0.1", server.port(), "disk"), options));
    }

    private static void waitUntil(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void requestsAboveTheServersMaximumPayloadAreSplitAndReassembled() throws Exception {
        FaultInjectingBackend counted = closeLater(new FaultInjectingBackend(new MemoryBackend(SIZE, BLOCK)));
        NbdServer server = closeLater(serve(0, counted, NbdServerOptions.defaults().withMaxPayload(64 * 1024)));
        NbdBackend backend = connect(server, NbdClientOptions.defaults());
        byte[] first = randomBytes(new Random(1), 300 * 1024);
        byte[] second = randomBytes(new Random(2), 724 * 1024);

        await(backend.write(4096, new ByteBuffer[] {buffer(first, true), buffer(second, false)}, true));

        assertTrue(counted.writeCount() >= 16, "1 MiB in 64 KiB requests: " + counted.writeCount() + " writes");
        byte[] both = read(backend, 4096, first.length + second.length);
        assertArrayEquals(first, Arrays.copyOfRange(both, 0, first.length));
        assertArrayEquals(second, Arrays.copyOfRange(both, first.length, both.length));
        assertTrue(counted.readCount() >= 16, "reads are split too: " + counted.readCount());
    }

    @Test
    void opensSeveralConnectionsWhenTheServerAdvertisesMultiConn() throws Exception {
        NbdServer server = closeLater(serve(0, closeLater(new MemoryBackend(SIZE, BLOCK)),
                NbdServerOptions.defaults()));
        NbdBackend four = connect(server, NbdClientOptions.defaults());
        NbdBackend two = connect(server, NbdClientOptions.defaults().withMaxConnections(2));

        waitUntil(() -> four.readyConnections() == 4, "four connections are up");
        waitUntil(() -> two.readyConnections() == 2, "two connections are up");
        byte[] data = randomBytes(new Random(3), 64 * BLOCK);
        await(four.write(0, new ByteBuffer[] {buffer(data, false)}, false));
        await(four.flush());
        assertArrayEquals(data, read(two, 0, data.length), "what one client wrote, the other reads");
    }

    @Test
    void negotiatesTheBlockSizeAndRefusesOneTheServerCannotMeet() throws Exception {
        NbdServer server = closeLater(serve(0, closeLater(new MemoryBackend(SIZE, 4096)),
                NbdServerOptions.defaults()));

        assertEquals(4096, connect(server, NbdClientOptions.defaults()).blockSize());
        assertEquals(8192, connect(server, NbdClientOptions.defaults().withBlockSize(8192)).blockSize());
        IOException refused = assertThrows(IOException.class,
                () -> connect(server, NbdClientOptions.defaults().withBlockSize(512)));
        assertTrue(refused.getMessage().contains("minimum block size 4096"), refused.getMessage());
    }

    @Test
    void anUnknownExportFailsTheConnectWithTheServersReason() throws Exception {
        NbdServer server = closeLater(serve(0, closeLater(new MemoryBackend(SIZE, BLOCK)),
                NbdServerOptions.defaults()));

        IOException refused = assertThrows(IOException.class, () -> closeLater(NbdBackend.connect(
                NbdUri.tcp("127.0.0.1", server.port(), "nope"), NbdClientOptions.defaults())));

        assertTrue(refused.getMessage().contains("NBD_REP_ERR_UNKNOWN"), refused.getMessage());
    }

    @Test
    void aReadOnlyExportIsReportedAndWritesAreRefusedWithoutAsking() throws Exception {
        Path file = directory.resolve("ro.img");
        FileBackend.open(FileBackendOptions.of(file, SIZE, BLOCK)).close();
        FileBackend readOnly = closeLater(FileBackend.open(FileBackendOptions.of(file, SIZE, BLOCK)
                .withReadOnly(true)));
        NbdBackend backend = connect(closeLater(serve(0, readOnly, NbdServerOptions.defaults())), FAST);

        assertTrue(backend.capabilities().readOnly());
        assertFalse(backend.capabilities().canDiscard());
        assertFailsWith(Kind.READ_ONLY, backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));
        assertFailsWith(Kind.READ_ONLY, backend.writeZeroes(0, BLOCK, false));
        assertArrayEquals(new byte[BLOCK], read(backend, 0, BLOCK));
    }

    @Test
    void serverErrorsMapToTheKindsTheScsiLayerNeeds() throws Exception {
        FaultInjectingBackend faulty = closeLater(new FaultInjectingBackend(new MemoryBackend(SIZE, BLOCK)));
        NbdBackend backend = connect(closeLater(serve(0, faulty, NbdServerOptions.defaults())), FAST);
        ByteBuffer[] block = {ByteBuffer.allocate(BLOCK)};

        faulty.failWrites(Kind.NO_SPACE);
        assertFailsWith(Kind.NO_SPACE, backend.write(0, block, false));
        faulty.failWrites(Kind.WRITE_ERROR);
        assertFailsWith(Kind.WRITE_ERROR, backend.write(0, block, false));
        assertFailsWith(Kind.WRITE_ERROR, backend.discard(0, BLOCK));
        faulty.failWrites(Kind.READ_ONLY);
        assertFailsWith(Kind.READ_ONLY, backend.writeZeroes(0, BLOCK, false));
        faulty.failReads(Kind.READ_ERROR);
        assertFailsWith(Kind.READ_ERROR, backend.read(0, ByteBuffer.allocate(BLOCK)));
        faulty.failFlushes(Kind.WRITE_ERROR);
        assertFailsWith(Kind.WRITE_ERROR, backend.flush());

        faulty.heal();
        await(backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, true));
    }

    @Test
    void fuaIsPassedToThePeersBackendAsADurableWrite() throws Exception {
        FaultInjectingBackend faulty = closeLater(new FaultInjectingBackend(new MemoryBackend(SIZE, BLOCK)));
        NbdBackend backend = connect(closeLater(serve(0, faulty, NbdServerOptions.defaults())), FAST);

        // The fault injector fails FUA writes along with flushes: only a write that arrived with FUA fails.
        faulty.failFlushes(Kind.WRITE_ERROR);

        await(backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));
        assertFailsWith(Kind.WRITE_ERROR, backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, true));
        await(backend.writeZeroes(0, BLOCK, false));
        assertFailsWith(Kind.WRITE_ERROR, backend.writeZeroes(0, BLOCK, true));
    }

    @Test
    void requestsBeyondTheInFlightLimitWaitInTheQueue() throws Exception {
        ConcurrencyProbe probe = closeLater(new ConcurrencyProbe(
                new DelayedBackend(new MemoryBackend(SIZE, BLOCK), Duration.ofMillis(5), Duration.ofMillis(5))));
        NbdBackend backend = connect(closeLater(serve(0, probe, NbdServerOptions.defaults())),
                FAST.withMaxConnections(1).withMaxInFlightPerConnection(3));
        byte[] data = randomBytes(new Random(7), 60 * BLOCK);
        List<CompletableFuture<Void>> writes = new ArrayList<>();

        for (int i = 0; i < 60; i++) {
            writes.add(backend.write((long) i * BLOCK, new ByteBuffer[] {ByteBuffer.wrap(data, i * BLOCK, BLOCK)},
                    false));
        }
        await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));

        assertTrue(probe.maxConcurrent() <= 3, "at most 3 requests in flight, saw " + probe.maxConcurrent());
        assertTrue(probe.maxConcurrent() >= 2, "but pipelined: saw " + probe.maxConcurrent());
        assertArrayEquals(data, read(backend, 0, data.length));
    }

    @Test
    void whileThePeerIsDownReadsAndWritesWaitThenFailNotReadyAndFlushFailsAtOnce() throws Exception {
        MemoryBackend disk = closeLater(new MemoryBackend(SIZE, BLOCK));
        NbdServer server = serve(0, disk, NbdServerOptions.defaults());
        NbdBackend backend = connect(server, FAST.withUnavailableTimeout(Duration.ofMillis(400)));
        waitUntil(() -> backend.readyConnections() == 4, "all connections are up");

        server.close();
        waitUntil(() -> backend.readyConnections() == 0, "the client noticed");

        long start = System.nanoTime();
        assertFailsWith(Kind.NOT_READY, backend.flush());
        long flushMillis = (System.nanoTime() - start) / 1_000_000;
        CompletableFuture<Void> read = backend.read(0, ByteBuffer.allocate(BLOCK));
        CompletableFuture<Void> write = backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false);
        Thread.sleep(200);
        assertFalse(read.isDone() || write.isDone(), "reads and writes wait for the peer");
        assertFailsWith(Kind.NOT_READY, read);
        assertFailsWith(Kind.NOT_READY, write);
        long waitedMillis = (System.nanoTime() - start) / 1_000_000;

        assertTrue(flushMillis < 200, "flush failed at once, not after " + flushMillis + " ms");
        assertTrue(waitedMillis >= 400, "reads and writes waited the unavailable timeout, not " + waitedMillis);
    }

    @ParameterizedTest(name = "native transport: {0}")
    @ValueSource(booleans = {true, false})
    void pendingAndNewWritesCompleteWhenThePeerComesBackOnTheSamePort(boolean nativeTransport) throws Exception {
        MemoryBackend disk = closeLater(new MemoryBackend(SIZE, BLOCK));
        NbdServerOptions serverOptions = NbdServerOptions.defaults().withPreferNativeTransport(nativeTransport);
        NbdServer server = serve(0, disk, serverOptions);
        int port = server.port();
        NbdBackend backend = connect(server, FAST.withPreferNativeTransport(nativeTransport)
                .withUnavailableTimeout(Duration.ofSeconds(20)));
        Random random = new Random(4);
        byte[] model = new byte[(int) SIZE];
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        int chunk = 16 * BLOCK;
        for (int i = 0; i < 256; i++) {
            if (i == 100) {
                server.close(); // in the middle of the writes: some are answered, some in flight, some not yet sent
            }
            if (i == 180) {
                Thread.sleep(1000);
                server = closeLater(serve(port, disk, serverOptions));
            }
            byte[] data = randomBytes(random, chunk);
            // Disjoint ranges: concurrent writes to the same place may land in either order, on any disk.
            int offset = i * chunk;
            writes.add(backend.write(offset, new ByteBuffer[] {buffer(data, i % 2 == 0)}, i % 7 == 0));
            System.arraycopy(data, 0, model, offset, chunk);
        }
        await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));

        assertArrayEquals(model, read(backend, 0, (int) SIZE), "every write landed after the restart");
    }

    @Test
    void aFlushAfterLosingTheConnectionWithUnflushedWritesFailsOnceThenWorks() throws Exception {
        MemoryBackend disk = closeLater(new MemoryBackend(SIZE, BLOCK));
        NbdServer server = serve(0, disk, NbdServerOptions.defaults());
        int port = server.port();
        NbdBackend backend = connect(server, FAST.withMaxConnections(1));
        await(backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));

        server.close();
        waitUntil(() -> backend.readyConnections() == 0, "the client noticed the loss");
        closeLater(serve(port, disk, NbdServerOptions.defaults()));
        waitUntil(() -> backend.readyConnections() == 1, "the client reconnected");

        assertFailsWith(Kind.NOT_READY, backend.flush());
        await(backend.flush());
    }

    @Test
    void aPeerThatStopsAnsweringIsDroppedAfterTheRequestTimeoutAndTheRequestRetried() throws Exception {
        ConcurrencyProbe hanging = closeLater(new ConcurrencyProbe(new MemoryBackend(SIZE, BLOCK)));
        byte[] data = randomBytes(new Random(5), BLOCK);
        await(hanging.write(0, new ByteBuffer[] {buffer(data, false)}, false));
        NbdBackend backend = connect(closeLater(serve(0, hanging, NbdServerOptions.defaults())),
                FAST.withMaxConnections(1).withRequestTimeout(Duration.ofMillis(300)));

        hanging.hangReads(1);

        assertArrayEquals(data, read(backend, 0, BLOCK), "answered on a new connection after the timeout");
    }

    @ParameterizedTest(name = "native transport: {0}")
    @ValueSource(booleans = {true, false})
    void worksOverAUnixSocket(boolean nativeTransport) throws Exception {
        Path socket = directory.resolve("nbd.sock");
        MemoryBackend disk = closeLater(new MemoryBackend(SIZE, BLOCK));
        closeLater(NbdServer.startUnix(socket, Map.of("disk", disk),
                NbdServerOptions.defaults().withPreferNativeTransport(nativeTransport)));
        NbdBackend backend = closeLater(NbdBackend.connect(NbdUri.parse("nbd+unix:///disk?socket=" + socket),
                NbdClientOptions.defaults().withPreferNativeTransport(nativeTransport)));
        byte[] data = randomBytes(new Random(6), 32 * BLOCK);

        await(backend.write(BLOCK, new ByteBuffer[] {buffer(data, true)}, true));

        assertArrayEquals(data, read(disk, BLOCK, data.length));
        assertArrayEquals(data, read(backend, BLOCK, data.length));
    }
}
