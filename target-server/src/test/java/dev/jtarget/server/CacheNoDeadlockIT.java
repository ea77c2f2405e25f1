package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.cache.CacheStatistics;
import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.CacheConfig;
import dev.jtarget.config.LunConfig;
import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.ServerConfig;
import dev.jtarget.config.TargetConfig;
import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.SocketTransport;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.scsi.ScsiResponse;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 acceptance 3: with the arena full because the backend does not take writes, a SYNCHRONIZE CACHE from a
 * second session and a LOGICAL UNIT RESET from the writing session are both in flight; once the backend is allowed to
 * progress, everything completes within {@link #DEADLINE}. The server is the real one (sockets, sessions, SCSI layer,
 * cache, flushers), in this JVM so that the test can hold the backend's writes at a gate and, should anything hang,
 * dump every thread's stack in the failure message.
 *
 * <p>The chain that must not close into a cycle: the LUN RESET waits for the aborted writes, which wait for arena
 * pages, which wait for the flushers, which wait for the backend; the SYNCHRONIZE CACHE waits for the flushers too.
 * Nothing there may wait on the LUN RESET or the SYNCHRONIZE CACHE in turn.
 */
@Tag("integration")
class CacheNoDeadlockIT {
    private static final String TARGET = "iqn.2026-11.dev.jtarget:it.no-deadlock";
    private static final int BLOCK = 512;
    private static final long ARENA = 4 << 20;
    private static final int WRITE_BYTES = 64 << 10;
    /** 1.5 arenas' worth: the arena fills and the rest of the writes wait for pages. */
    private static final int WRITES = (int) (ARENA * 3 / 2 / WRITE_BYTES);
    private static final Duration HELD = Duration.ofMillis(500);
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int LOGICAL_UNIT_RESET = 5;
    private static final int FUNCTION_COMPLETE = 0;

    private final CompletableFuture<Void> gate = new CompletableFuture<>();
    private TargetServer server;

    @AfterEach
    void stopServer() {
        gate.complete(null); // a failed assertion must not leave shutdown waiting on held writes
        if (server != null) {
            server.close();
        }
    }

    @Test
    void fullArenaSynchronizeCacheAndLunResetAllCompleteOnceTheBackendProgresses(@TempDir Path dir)
            throws Exception {
        int port = startServer(dir);
        try (TestInitiator writer = loggedIn(port, 0x1001);
             TestInitiator syncer = loggedIn(port, 0x1002)) {
            Map<Integer, Integer> writeItts = new HashMap<>(); // ITT -> write index
            for (int i = 0; i < WRITES; i++) {
                writeItts.put(sendWrite(writer, i), i);
            }
            awaitArenaFull();

            RequestPdu sync = syncer.command(synchronizeCache10(), TestInitiator.FLAG_FINAL, 0, new byte[0]);
            syncer.send(sync);
            // only once it is surely executing, so that the reset below finds it among the LUN's tasks
            assertNull(syncer.poll(HELD), "the SYNCHRONIZE CACHE waits for write-back, which the backend holds");
            RequestPdu reset = writer.taskManagement(LOGICAL_UNIT_RESET, Bhs.RESERVED_TAG, 0);
            writer.send(reset);

            Set<Integer> good = new HashSet<>();
            ResponsePdu resetResponse = collect(writer, reset.bhs().initiatorTaskTag(), writeItts, good, HELD);
            assertNull(resetResponse, "the LUN RESET waits for the tasks it aborts, which wait for the held backend");
            assertNull(syncer.poll(Duration.ZERO), "the aborted SYNCHRONIZE CACHE is still waiting too");

            gate.complete(null);
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            resetResponse = collect(writer, reset.bhs().initiatorTaskTag(), writeItts, good, DEADLINE);
            assertTrue(resetResponse != null, () -> "no LUN RESET response within " + DEADLINE + hangReport());
            assertEquals(FUNCTION_COMPLETE, resetResponse.reason(), "LUN RESET response");
            ResponsePdu syncResponse = syncer.poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            assertTrue(syncResponse != null, () -> "no SYNCHRONIZE CACHE response within " + DEADLINE + hangReport());
            // The reset reaches every I_T nexus on the LUN (SAM-5 §7.7): the other session's SYNCHRONIZE CACHE is
            // aborted too, and with TAS=1 it ends with TASK ABORTED once write-back let it finish.
            assertEquals(ScsiResponse.TASK_ABORTED, syncResponse.status(), "SYNCHRONIZE CACHE from the other session");

            // Writes answered GOOD before the reset completed must read back; the aborted ones may or may not have
            // landed, but after a SYNCHRONIZE CACHE that completes everything acknowledged is on the backend.
            syncer.clearUnitAttention();
            assertEquals(ScsiResult.GOOD, syncer.awaitStatus(sendSync(syncer)).status(), "SYNCHRONIZE CACHE after");
            assertTrue(!good.isEmpty(), "some writes fit the arena and were acknowledged");
            for (int index : good) {
                ScsiResult read = syncer.read(lba(index), WRITE_BYTES / BLOCK);
                assertEquals(ScsiResult.GOOD, read.status(), "read of write " + index);
                assertArrayEquals(pattern(index), read.dataIn(), "data of acknowledged write " + index);
            }
        }
    }

    /**
     * Reads the writer's responses until the TMF response to {@code tmfItt} arrives (returned) or {@code wait} passes
     * (null); GOOD write responses are recorded in {@code good}, anything else fails the test.
     */
    private ResponsePdu collect(TestInitiator writer, int tmfItt, Map<Integer, Integer> writeItts, Set<Integer> good,
                                Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            ResponsePdu pdu = writer.poll(Duration.ofNanos(left));
            if (pdu == null) {
                return null;
            }
            if (pdu.is(Opcode.TASK_MANAGEMENT_RESPONSE) && pdu.itt() == tmfItt) {
                return pdu;
            }
            Integer index = writeItts.get(pdu.itt());
            assertTrue(pdu.is(Opcode.SCSI_RESPONSE) && index != null, () -> "unexpected " + pdu);
            assertEquals(ScsiResult.GOOD, pdu.status(), "status of write " + index);
            good.add(index);
        }
    }

    /** Waits until writes queue for arena pages: the arena is full and the backend holds everything. */
    private void awaitArenaFull() throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            CacheStatistics cache = server.cacheStatistics().getFirst();
            if (cache.writersWaited() > 0 && cache.arenaUsedBytes() == cache.arenaCapacityBytes()) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, () -> "the arena never filled: " + cache.toLogLine(null));
            Thread.sleep(10);
        }
    }

    /** A 64 KiB WRITE(10) sent whole as immediate and unsolicited data (it fits FirstBurstLength); returns its ITT. */
    private static int sendWrite(TestInitiator initiator, int index) {
        byte[] data = pattern(index);
        int segment = Integer.parseInt(initiator.negotiated("MaxRecvDataSegmentLength"));
        int immediate = Math.min(segment, data.length);
        boolean more = immediate < data.length;
        RequestPdu command = initiator.command(Cdbs.write10(lba(index), data.length / BLOCK),
                (more ? 0 : TestInitiator.FLAG_FINAL) | TestInitiator.FLAG_WRITE, data.length,
                Arrays.copyOf(data, immediate));
        int itt = command.bhs().initiatorTaskTag();
        initiator.send(command);
        if (more) {
            initiator.sendBurst(itt, Bhs.RESERVED_TAG, data, immediate, data.length - immediate, segment);
        }
        return itt;
    }

    private static int sendSync(TestInitiator initiator) {
        RequestPdu sync = initiator.command(synchronizeCache10(), TestInitiator.FLAG_FINAL, 0, new byte[0]);
        initiator.send(sync);
        return sync.bhs().initiatorTaskTag();
    }

    /** SYNCHRONIZE CACHE (10) of the whole LUN (SBC-3 5.22: LBA 0 and 0 blocks mean all of it). */
    private static byte[] synchronizeCache10() {
        byte[] cdb = new byte[10];
        cdb[0] = 0x35;
        return cdb;
    }

    private static long lba(int index) {
        return (long) index * WRITE_BYTES / BLOCK;
    }

    private static byte[] pattern(int index) {
        byte[] data = new byte[WRITE_BYTES];
        for (int i = 0; i < data.length; i += 8) {
            ByteBuffer.wrap(data, i, 8).putLong(((long) index << 32) | i);
        }
        return data;
    }

    private static TestInitiator loggedIn(int port, long isid) {
        TestInitiator initiator = new TestInitiator(new SocketTransport(
                new java.net.InetSocketAddress("127.0.0.1", port)), isid, BLOCK);
        assertTrue(initiator.login(TARGET).entersFullFeaturePhase(), "login");
        initiator.clearUnitAttention();
        return initiator;
    }

    private int startServer(Path dir) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        LunConfig lun = new LunConfig(0, true, BLOCK, false, new BackendConfig.Memory(64 << 20));
        TargetConfig target = new TargetConfig(TARGET, "", Optional.empty(), Optional.empty(), List.of(),
                List.of(lun));
        ServerConfig config = new ServerConfig(dir.resolve("in-test.xml"), dir,
                List.of(new PortalConfig("127.0.0.1", port)), new CacheConfig(ARENA, 2), Optional.empty(),
                List.of(target));
        server = TargetServer.start(config, ServerLimits.DEFAULTS, raw -> new GatedBackend(raw, gate));
        return port;
    }

    /** What every thread is doing, for the failure message of a hang, with the cache's state. */
    private String hangReport() {
        StringBuilder report = new StringBuilder("\ncache: ");
        server.cacheStatistics().forEach(statistics -> report.append(statistics.toLogLine(null)).append('\n'));
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            report.append('\n').append('"').append(thread.getName()).append("\" ").append(thread.getState())
                    .append('\n');
            for (StackTraceElement frame : stack) {
                report.append("    at ").append(frame).append('\n');
            }
        });
        return report.toString();
    }

    /** Holds every write until {@code gate} completes; everything else passes straight through. */
    private record GatedBackend(BlockBackend delegate, CompletableFuture<Void> gate) implements BlockBackend {
        @Override
        public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
            return gate.thenCompose(ignored -> delegate.write(offset, sources, fua));
        }

        @Override
        public long sizeBytes() {
            return delegate.sizeBytes();
        }

        @Override
        public int blockSize() {
            return delegate.blockSize();
        }

        @Override
        public BackendCapabilities capabilities() {
            return delegate.capabilities();
        }

        @Override
        public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
            return delegate.read(offset, destination);
        }

        @Override
        public CompletableFuture<Void> flush() {
            return delegate.flush();
        }

        @Override
        public CompletableFuture<Void> discard(long offset, long length) {
            return delegate.discard(offset, length);
        }

        @Override
        public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
            return delegate.writeZeroes(offset, length, fua);
        }

        @Override
        public void close() {
            delegate.close();
        }

        @Override
        public String describe() {
            return "gated " + delegate.describe();
        }
    }
}
