package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.SocketTransport;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.pdu.Opcode;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An initiator that behaves like iPXE (src/net/tcp/iscsi.c) against the real server over a socket: a security stage
 * with AuthMethod=None, then exactly iPXE's operational keys (InitialR2T=Yes, ImmediateData=No,
 * MaxRecvDataSegmentLength=8192, MaxOutstandingR2T=1, no digests), one command at a time, 512-byte Data-Out PDUs, and
 * pings (NOP-In with a Target Transfer Tag) ignored, never answered. The server runs with a 1 s NOP-In interval and a
 * 3 s timeout so that the session outlives the keep-alive three times over in about 15 s.
 */
@Tag("integration")
class IpxeStyleInitiatorIT {
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.ipxe").withLun(0, mib(64));
    private static final Duration NOP_INTERVAL = Duration.ofSeconds(1);
    private static final Duration NOP_TIMEOUT = Duration.ofSeconds(3);
    /** The server looks at its connections once a second, so a deadline may pass by up to that much. */
    private static final Duration KEEP_ALIVE_TICK = Duration.ofSeconds(1);
    /** Silent pauses longer than the interval (a ping goes out) and shorter than interval + timeout (no close). */
    private static final Duration PAUSE = Duration.ofMillis(2500);
    /** Rounds of I/O, each followed by a pause: at least 12.5 s in all, three times interval + timeout. */
    private static final int ROUNDS = 5;
    private static final int BLOCK_SIZE = 512;
    private static final int LUN_BLOCKS = (int) (mib(64) / BLOCK_SIZE);
    /** iPXE's operational keys, in its order. */
    private static final String[] IPXE_KEYS = {"HeaderDigest=None", "DataDigest=None", "MaxConnections=1",
            "InitialR2T=Yes", "ImmediateData=No", "MaxRecvDataSegmentLength=8192", "MaxBurstLength=262144",
            "FirstBurstLength=65536", "DefaultTime2Wait=0", "DefaultTime2Retain=0", "MaxOutstandingR2T=1",
            "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes", "ErrorRecoveryLevel=0"};
    private static final int MAX_RECV_DATA_SEGMENT_LENGTH = 8192;
    private static final int MAX_BURST_LENGTH = 262144;
    /** iPXE "always send[s] 512-byte Data-Out PDUs". */
    private static final int DATA_OUT_SEGMENT = 512;

    private static TestServer server;
    private static long nextIsid = 0x40_0000_0001L; // IANA enterprise number format, as iPXE writes it

    @BeforeAll
    static void startServer(@TempDir Path workDir) {
        String nopIn = "  <nop-in interval=\"" + NOP_INTERVAL.toSeconds() + "s\" timeout=\""
                + NOP_TIMEOUT.toSeconds() + "s\"/>\n";
        server = TestServer.start("ipxe", portal -> ConfigXml.render(portal, nopIn, List.of(DISK), workDir));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void sessionThatNeverAnswersPingsReadsAndWritesPastTheNopTimeout() {
        long seed = System.nanoTime();
        SplittableRandom random = new SplittableRandom(seed);
        try (TestInitiator ipxe = loggedIn()) {
            long start = System.nanoTime();
            int commands = 0;
            int largestDataIn = 0;
            for (int round = 0; round < ROUNDS; round++) {
                for (int i = 0; i < 4; i++) {
                    int blocks = 1 << random.nextInt(12); // 512 B .. 1 MiB, several bursts for the larger ones
                    long lba = random.nextLong(LUN_BLOCKS - blocks);
                    byte[] data = new byte[blocks * BLOCK_SIZE];
                    random.nextBytes(data);
                    ScsiResult write = ipxe.write(lba, data);
                    assertEquals(ScsiResult.GOOD, write.status(), "WRITE(10) of " + blocks + " blocks, seed " + seed);
                    for (ResponsePdu r2t : write.pdus()) {
                        if (r2t.is(Opcode.R2T)) {
                            assertTrue(r2t.bhs().residualCount() <= MAX_BURST_LENGTH, "R2T beyond MaxBurstLength");
                        }
                    }
                    ScsiResult read = ipxe.read(lba, blocks);
                    assertEquals(ScsiResult.GOOD, read.status(), "READ(10) of " + blocks + " blocks, seed " + seed);
                    assertArrayEquals(data, read.dataIn(), "data read back at LBA " + lba + ", seed " + seed);
                    largestDataIn = Math.max(largestDataIn, largestDataIn(read));
                    commands += 2;
                }
                sleep(PAUSE); // iPXE is silent; the server pings it and gets no answer
            }
            Duration ran = Duration.ofNanos(System.nanoTime() - start);

            assertEquals(ScsiResult.GOOD, ipxe.testUnitReady().status(), "still connected after " + ran);
            assertTrue(ran.compareTo(NOP_INTERVAL.plus(NOP_TIMEOUT).multipliedBy(3)) > 0, "ran " + ran);
            // One ping per pause; a starved event loop may skip one, which is no failure of the keep-alive.
            assertTrue(ipxe.targetPingsIgnored() >= ROUNDS - 2, "the server pinged " + ipxe.targetPingsIgnored()
                    + " times; the test means to ignore several pings");
            // The parser fails any PDU above the initiator's limit; the server also uses the whole of it.
            assertEquals(MAX_RECV_DATA_SEGMENT_LENGTH, largestDataIn, "largest Data-In segment");
            assertEquals(0, ipxe.logout().reason(), "logout");
            System.out.printf("iPXE-style session: %d commands in %.1f s, %d NOP-In pings ignored, seed %d%n",
                    commands, ran.toMillis() / 1000.0, ipxe.targetPingsIgnored(), seed);
        }
        assertTrue(server.isAlive());
    }

    /**
     * MaxOutstandingR2T=1 (RFC 7143 §13.17): with one R2T unanswered the server must not ask for more data. Every R2T
     * of a 1 MiB write (four bursts) is held 200 ms before its data goes out; nothing may arrive meanwhile.
     */
    @Test
    void serverNeverHasMoreThanOneR2tOutstanding() {
        try (TestInitiator ipxe = loggedIn()) {
            byte[] data = new byte[1 << 20];
            new SplittableRandom(7).nextBytes(data);
            RequestPdu command = ipxe.command(Cdbs.write10(4096, data.length / BLOCK_SIZE),
                    TestInitiator.FLAG_FINAL | TestInitiator.FLAG_WRITE, data.length, new byte[0]);
            int itt = command.bhs().initiatorTaskTag();
            ipxe.send(command);
            int r2ts = 0;
            for (ResponsePdu pdu = ipxe.receiveFor(itt); !pdu.is(Opcode.SCSI_RESPONSE); pdu = ipxe.receiveFor(itt)) {
                assertEquals(Opcode.R2T, pdu.opcode(), pdu.toString());
                assertEquals(r2ts, pdu.bhs().dataSn(), "R2TSN (bytes 36..39, where Data-In has DataSN)");
                assertNull(ipxe.poll(Duration.ofMillis(200)), "a PDU while R2T " + r2ts + " is outstanding");
                ipxe.sendBurst(itt, pdu.bhs().targetTransferTag(), data, pdu.bhs().bufferOffset(),
                        pdu.bhs().residualCount(), DATA_OUT_SEGMENT);
                r2ts++;
            }
            assertEquals(data.length / MAX_BURST_LENGTH, r2ts, "one R2T per MaxBurstLength");
            assertArrayEquals(data, ipxe.read(4096, data.length / BLOCK_SIZE).dataIn());
        }
    }

    /** The control: the same server closes a connection that goes silent, so the short keep-alive is in force. */
    @Test
    void silentSessionIsPingedAndClosed() {
        try (TestInitiator ipxe = loggedIn()) {
            Duration closeWithin = NOP_INTERVAL.plus(NOP_TIMEOUT).plus(KEEP_ALIVE_TICK).plusSeconds(2);

            List<ResponsePdu> beforeClose = ipxe.awaitClose(closeWithin);

            assertFalse(beforeClose.isEmpty(), "a NOP-In ping before the close");
            assertEquals(Opcode.NOP_IN, beforeClose.getFirst().opcode());
        }
    }

    private static TestInitiator loggedIn() {
        TestInitiator ipxe = new TestInitiator(new SocketTransport(new InetSocketAddress(server.host(),
                server.port())), nextIsid++, BLOCK_SIZE);
        ResponsePdu login = ipxe.loginThroughSecurityStage(DISK.name(), IPXE_KEYS);
        assertEquals(0, login.loginStatus(), "login: " + login + "\n" + server.logTail(20));
        assertTrue(login.entersFullFeaturePhase());
        assertEquals("Yes", ipxe.negotiated("InitialR2T"));
        assertEquals("No", ipxe.negotiated("ImmediateData"));
        assertEquals("1", ipxe.negotiated("MaxOutstandingR2T"));
        ipxe.setAnswerTargetPings(false);
        ipxe.setDataOutSegmentLimit(DATA_OUT_SEGMENT);
        ipxe.clearUnitAttention();
        return ipxe;
    }

    private static int largestDataIn(ScsiResult read) {
        return read.pdus().stream().filter(pdu -> pdu.is(Opcode.SCSI_DATA_IN)).mapToInt(pdu -> pdu.data().length)
                .max().orElse(0);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
