package dev.jtarget.backend.nbd;

import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static dev.jtarget.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.delay.DelayedBackend;
import dev.jtarget.backend.file.FileBackend;
import dev.jtarget.backend.file.FileBackendOptions;
import dev.jtarget.backend.memory.MemoryBackend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our NBD server at the byte level, through a raw client that can also misbehave. */
class NbdServerTest {
    private static final int BLOCK = 512;
    private static final long SIZE = 4L << 20;
    private static final int MAX_PAYLOAD = 64 * 1024;

    @TempDir
    Path directory;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private NbdServer serve(Map<String, BlockBackend> exports, NbdServerOptions options) throws Exception {
        NbdServer server = NbdServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), exports,
                options);
        closeables.add(server);
        return server;
    }

    private MemoryBackend memory() {
        MemoryBackend disk = new MemoryBackend(SIZE, BLOCK);
        closeables.add(disk);
        return disk;
    }

    private RawNbdClient client(NbdServer server) throws Exception {
        RawNbdClient client = new RawNbdClient(server.port());
        closeables.add(client);
        assertEquals(NbdProtocol.FLAG_FIXED_NEWSTYLE | NbdProtocol.FLAG_NO_ZEROES,
                client.handshake(NbdProtocol.FLAG_C_FIXED_NEWSTYLE | NbdProtocol.FLAG_C_NO_ZEROES));
        return client;
    }

    @Test
    void listsExportsDescribesThemAndRefusesUnknownOptionsAndExports() throws Exception {
        Map<String, BlockBackend> exports = new LinkedHashMap<>();
        exports.put("alpha", memory());
        exports.put("beta", memory());
        RawNbdClient client = client(serve(exports, NbdServerOptions.defaults()));

        client.option(NbdProtocol.OPT_LIST, new byte[0]);
        Set<String> listed = new HashSet<>();
        for (RawNbdClient.OptionReply reply = client.optionReply(); reply.type() != NbdProtocol.REP_ACK;
                reply = client.optionReply()) {
            assertEquals(NbdProtocol.REP_SERVER, reply.type());
            ByteBuffer data = ByteBuffer.wrap(reply.data());
            byte[] name = new byte[data.getInt()];
            data.get(name);
            listed.add(new String(name, StandardCharsets.UTF_8));
        }
        assertEquals(Set.of("alpha", "beta"), listed);

        client.option(99, new byte[] {1, 2, 3});
        assertEquals(NbdProtocol.REP_ERR_UNSUP, client.optionReply().type());

        client.option(NbdProtocol.OPT_INFO, RawNbdClient.infoRequest("gamma"));
        RawNbdClient.OptionReply unknown = client.optionReply();
        assertEquals(NbdProtocol.REP_ERR_UNKNOWN, unknown.type());
        assertTrue(unknown.text().contains("gamma"), unknown.text());

        client.option(NbdProtocol.OPT_INFO,
                RawNbdClient.infoRequest("beta", NbdProtocol.INFO_NAME, NbdProtocol.INFO_DESCRIPTION));
        Map<Integer, ByteBuffer> infos = new LinkedHashMap<>();
        for (RawNbdClient.OptionReply reply = client.optionReply(); reply.type() != NbdProtocol.REP_ACK;
                reply = client.optionReply()) {
            assertEquals(NbdProtocol.REP_INFO, reply.type());
            ByteBuffer data = ByteBuffer.wrap(reply.data());
            infos.put((int) data.getShort(), data);
        }
        ByteBuffer export = infos.get(NbdProtocol.INFO_EXPORT);
        assertEquals(SIZE, export.getLong());
        int flags = export.getShort() & 0xffff;
        assertEquals(NbdProtocol.FLAG_HAS_FLAGS | NbdProtocol.FLAG_SEND_FLUSH | NbdProtocol.FLAG_SEND_FUA
                | NbdProtocol.FLAG_SEND_TRIM | NbdProtocol.FLAG_SEND_WRITE_ZEROES | NbdProtocol.FLAG_CAN_MULTI_CONN,
                flags);
        assertEquals("beta", StandardCharsets.UTF_8.decode(infos.get(NbdProtocol.INFO_NAME)).toString());
        assertTrue(StandardCharsets.UTF_8.decode(infos.get(NbdProtocol.INFO_DESCRIPTION)).toString()
                .startsWith("memory"));
        ByteBuffer blockSizes = infos.get(NbdProtocol.INFO_BLOCK_SIZE);
        assertEquals(BLOCK, blockSizes.getInt());
        assertEquals(4096, blockSizes.getInt());
        assertEquals(NbdProtocol.DEFAULT_MAX_PAYLOAD, blockSizes.getInt());

        client.option(NbdProtocol.OPT_ABORT, new byte[0]);
        assertEquals(NbdProtocol.REP_ACK, client.optionReply().type());
        assertTrue(client.closedByServer(), "the server closes after acknowledging NBD_OPT_ABORT");
    }

    @Test
    void invalidRequestsGetErrorRepliesAndTheConnectionKeepsServing() throws Exception {
        RawNbdClient client = client(serve(Map.of("disk", memory()),
                NbdServerOptions.defaults().withMaxPayload(MAX_PAYLOAD)));
        client.go("disk");
        byte[] block = randomBytes(new Random(1), BLOCK);

        client.request(NbdProtocol.CMD_READ, 0, 1, SIZE, BLOCK, null);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EINVAL, 1), client.reply());
        client.request(NbdProtocol.CMD_WRITE, 0, 2, SIZE - BLOCK, 2 * BLOCK, new byte[2 * BLOCK]);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.ENOSPC, 2), client.reply());
        client.request(NbdProtocol.CMD_READ, 0, 3, 100, BLOCK, null);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EINVAL, 3), client.reply());
        client.request(NbdProtocol.CMD_READ, 0, 4, 0, 2 * MAX_PAYLOAD, null);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EOVERFLOW, 4), client.reply());
        client.request(NbdProtocol.CMD_WRITE, 0, 5, 0, 2 * MAX_PAYLOAD, new byte[2 * MAX_PAYLOAD]);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EOVERFLOW, 5), client.reply());
        client.request(42, 0, 6, 0, 0, null);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EINVAL, 6), client.reply());
        client.request(NbdProtocol.CMD_READ, 1 << 7, 7, 0, BLOCK, null);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EINVAL, 7), client.reply());
        client.request(NbdProtocol.CMD_WRITE, NbdProtocol.CMD_FLAG_NO_HOLE, 8, 0, BLOCK, block);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EINVAL, 8), client.reply());
        client.request(NbdProtocol.CMD_READ, 0, 9, -BLOCK, BLOCK, null);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EINVAL, 9), client.reply());

        client.request(NbdProtocol.CMD_WRITE, NbdProtocol.CMD_FLAG_FUA, 10, BLOCK, BLOCK, block);
        assertEquals(new RawNbdClient.SimpleReply(0, 10), client.reply());
        client.request(NbdProtocol.CMD_READ, 0, 11, BLOCK, BLOCK, null);
        assertEquals(new RawNbdClient.SimpleReply(0, 11), client.reply());
        assertArrayEquals(block, client.readFully(BLOCK), "the refused requests changed nothing, the valid one did");
    }

    @Test
    void aBadRequestMagicClosesTheConnection() throws Exception {
        RawNbdClient client = client(serve(Map.of("disk", memory()), NbdServerOptions.defaults()));
        client.go("disk");
        client.sendRaw(new byte[NbdProtocol.REQUEST_HEADER_BYTES]);
        assertTrue(client.closedByServer());
    }

    @Test
    void trimWriteZeroesAndFlushReachTheBackendAndDiscCloses() throws Exception {
        MemoryBackend disk = memory();
        byte[] data = randomBytes(new Random(2), 8 * BLOCK);
        await(disk.write(0, new ByteBuffer[] {buffer(data, false)}, false));
        RawNbdClient client = client(serve(Map.of("disk", disk), NbdServerOptions.defaults()));
        client.go("disk");

        client.request(NbdProtocol.CMD_TRIM, NbdProtocol.CMD_FLAG_FUA, 1, 0, 2 * BLOCK, null);
        client.request(NbdProtocol.CMD_WRITE_ZEROES, 0, 2, 2L * BLOCK, 2 * BLOCK, null);
        client.request(NbdProtocol.CMD_WRITE_ZEROES, NbdProtocol.CMD_FLAG_NO_HOLE | NbdProtocol.CMD_FLAG_FUA, 3,
                4L * BLOCK, 2 * BLOCK, null);
        client.request(NbdProtocol.CMD_FLUSH, 0, 4, 0, 0, null);
        Set<Long> answered = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            RawNbdClient.SimpleReply reply = client.reply();
            assertEquals(0, reply.error());
            answered.add(reply.handle());
        }
        assertEquals(Set.of(1L, 2L, 3L, 4L), answered);
        byte[] expected = data.clone();
        Arrays.fill(expected, 0, 6 * BLOCK, (byte) 0);
        assertArrayEquals(expected, read(disk, 0, 8 * BLOCK));

        client.request(NbdProtocol.CMD_DISC, 0, 5, 0, 0, null);
        assertTrue(client.closedByServer(), "NBD_CMD_DISC ends the connection");
    }

    @Test
    void aReadOnlyExportSaysSoAndRefusesWritesWithEperm() throws Exception {
        Path file = directory.resolve("ro.img");
        FileBackend.open(FileBackendOptions.of(file, SIZE, BLOCK)).close();
        FileBackend readOnly = FileBackend.open(FileBackendOptions.of(file, SIZE, BLOCK).withReadOnly(true));
        closeables.add(readOnly);
        RawNbdClient client = client(serve(Map.of("ro", readOnly), NbdServerOptions.defaults()));

        int flags = client.go("ro");

        assertTrue((flags & NbdProtocol.FLAG_READ_ONLY) != 0);
        assertEquals(0, flags & (NbdProtocol.FLAG_SEND_TRIM | NbdProtocol.FLAG_SEND_WRITE_ZEROES));
        client.request(NbdProtocol.CMD_WRITE, 0, 1, 0, BLOCK, new byte[BLOCK]);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EPERM, 1), client.reply());
        client.request(NbdProtocol.CMD_TRIM, 0, 2, 0, BLOCK, null);
        assertEquals(new RawNbdClient.SimpleReply(NbdProtocol.EPERM, 2), client.reply());
    }

    @Test
    void exportNameOptionEntersTransmissionForOldClients() throws Exception {
        RawNbdClient client = client(serve(Map.of("disk", memory()), NbdServerOptions.defaults()));

        client.option(NbdProtocol.OPT_EXPORT_NAME, "disk".getBytes(StandardCharsets.UTF_8));

        assertEquals(SIZE, client.readLong());
        assertTrue((client.readUnsignedShort() & NbdProtocol.FLAG_SEND_FLUSH) != 0);
        client.request(NbdProtocol.CMD_READ, 0, 7, 0, BLOCK, null);
        assertEquals(new RawNbdClient.SimpleReply(0, 7), client.reply());
        assertArrayEquals(new byte[BLOCK], client.readFully(BLOCK));
    }

    @Test
    void pipelinedRequestsNeverRunMoreThanTheInFlightLimitAtOnceAndAllAreAnswered() throws Exception {
        ConcurrencyProbe probe = new ConcurrencyProbe(
                new DelayedBackend(new MemoryBackend(SIZE, BLOCK), Duration.ofMillis(5), Duration.ofMillis(5)));
        closeables.add(probe);
        RawNbdClient client = client(serve(Map.of("disk", probe),
                NbdServerOptions.defaults().withMaxInFlight(2, 64L << 20)));
        client.go("disk");
        int requests = 40;
        byte[] data = randomBytes(new Random(3), requests * BLOCK);

        for (int i = 0; i < requests; i++) {
            client.request(NbdProtocol.CMD_WRITE, 0, i, (long) i * BLOCK, BLOCK,
                    Arrays.copyOfRange(data, i * BLOCK, (i + 1) * BLOCK));
        }
        Set<Long> answered = new HashSet<>();
        for (int i = 0; i < requests; i++) {
            RawNbdClient.SimpleReply reply = client.reply();
            assertEquals(0, reply.error());
            answered.add(reply.handle());
        }

        assertEquals(requests, answered.size());
        assertTrue(probe.maxConcurrent() <= 2, "at most 2 in flight, saw " + probe.maxConcurrent());
        assertArrayEquals(data, read(probe, 0, data.length));
    }
}
