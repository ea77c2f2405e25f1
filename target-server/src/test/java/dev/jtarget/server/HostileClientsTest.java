package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.SocketTransport;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.testing.LogCapture;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server on loopback, one healthy session writing and verifying data while other connections misbehave:
 * garbage, truncated PDUs, absurd lengths, byte-at-a-time logins, CHAP guessing and a connection flood. Every bad
 * connection must end with a Reject, a login failure or a close, and the healthy session must not notice.
 */
class HostileClientsTest {
    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration NOP_INTERVAL = Duration.ofSeconds(1);
    private static final Duration NOP_TIMEOUT = Duration.ofSeconds(1);
    private static final int CONNECTIONS_PER_ADDRESS = 32;
    private static final Duration FIRST_FAILURE_DELAY = Duration.ofMillis(100);
    private static final Duration MAX_FAILURE_DELAY = Duration.ofMillis(400);
    /** Long enough for any guard to act, with room for a slow CI machine. */
    private static final Duration CLOSE_WITHIN = LOGIN_TIMEOUT.plus(NOP_INTERVAL).plus(NOP_TIMEOUT).plusSeconds(3);
    private static final int REGION_BLOCKS = 128;
    private static final int REGIONS = 64;

    @TempDir
    Path dir;

    private LoopbackServer server;
    private final LogCapture log = new LogCapture();
    private final ExecutorService attackers = Executors.newFixedThreadPool(8);
    private long nextIsid = 0x80_1000_0001L;

    @BeforeEach
    void startServer() throws Exception {
        server = LoopbackServer.start(dir, "32MiB", new ServerLimits(LOGIN_TIMEOUT, NOP_INTERVAL, NOP_TIMEOUT, 64,
                1000, CONNECTIONS_PER_ADDRESS, FIRST_FAILURE_DELAY, MAX_FAILURE_DELAY));
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        attackers.shutdownNow();
        attackers.awaitTermination(10, TimeUnit.SECONDS);
        if (server != null) {
            server.close();
        }
        log.close();
    }

    @Test
    void healthySessionKeepsItsDataWhileOtherConnectionsMisbehave() throws Exception {
        HealthySession healthy = new HealthySession(loggedIn(LoopbackServer.TARGET_NAME));
        CompletableFuture<Void> workload = CompletableFuture.runAsync(healthy::run);

        List<CompletableFuture<Void>> attacks = new ArrayList<>();
        attacks.add(attack(this::garbageBytes));
        attacks.add(attack(this::truncatedLoginRequest));
        attacks.add(attack(this::hugeDataSegmentLength));
        attacks.add(attack(this::byteAtATimeLogin));
        attacks.add(attack(this::truncatedPduInFullFeaturePhase));
        attacks.add(attack(this::mutatedPdusInFullFeaturePhase));
        attacks.add(attack(this::guessingChapSecrets));
        CompletableFuture.allOf(attacks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        connectionFlood();

        int roundsDuringAttacks = healthy.rounds.get();
        healthy.stop.set(true);
        workload.get(30, TimeUnit.SECONDS);
        assertTrue(roundsDuringAttacks > 0, "the healthy session made progress during the attacks");
        healthy.verifyEverything();

        TestInitiator late = loggedIn(LoopbackServer.TARGET_NAME);
        assertEquals(ScsiResult.GOOD, late.testUnitReady().status(), "the server still takes new sessions");
        late.close();
        assertEquals(List.of(), log.errors(), "nothing was logged as an error");
        assertFalse(log.lines().stream().anyMatch(line -> line.contains(LoopbackServer.CHAP_SECRET)
                || line.contains("wrong-secret")), "no secret appears in the log");
    }

    /** Random bytes from the first byte on. */
    private void garbageBytes() {
        TestInitiator initiator = connect();
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        initiator.transport().send(garbage);
        assertRefused(initiator);
    }

    /** A Login Request header announcing 1000 bytes of text, then 100 of them and silence. */
    private void truncatedLoginRequest() {
        TestInitiator initiator = connect();
        Bhs bhs = loginHeader();
        bhs.setDataSegmentLength(1000);
        initiator.transport().send(bhs.bytes());
        initiator.transport().send(new byte[100]);
        assertRefused(initiator);
    }

    /** A header announcing a 16 MiB data segment: refused before anything is buffered for it. */
    private void hugeDataSegmentLength() {
        TestInitiator initiator = connect();
        Bhs bhs = loginHeader();
        bhs.setDataSegmentLength(0xffffff);
        initiator.transport().send(bhs.bytes());
        assertRefused(initiator);
    }

    /** A valid Login Request, one byte every 50 ms: the login timeout ends it long before it is complete. */
    private void byteAtATimeLogin() {
        TestInitiator initiator = connect();
        Bhs bhs = loginHeader();
        byte[] text = ("InitiatorName=" + TestInitiator.NAME + "\0SessionType=Normal\0TargetName="
                + LoopbackServer.TARGET_NAME + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] wire = new RequestPdu(bhs, text).wire(false, false);
        long start = System.nanoTime();
        for (int i = 0; i < wire.length && !initiator.transport().isClosed(); i++) {
            initiator.transport().send(new byte[] {wire[i]});
            sleep(50);
        }
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(CLOSE_WITHIN) < 0,
                "closed by the login timeout");
        assertRefused(initiator);
    }

    /** Logged in, then half a SCSI Command and silence: the unanswered NOP-In pings end the connection. */
    private void truncatedPduInFullFeaturePhase() {
        TestInitiator initiator = loggedIn(LoopbackServer.TARGET_NAME);
        byte[] command = initiator.command(new byte[6], TestInitiator.FLAG_FINAL, 0, new byte[0]).wire(false, false);
        initiator.transport().send(Arrays.copyOf(command, 30));
        for (ResponsePdu pdu : initiator.awaitClose(CLOSE_WITHIN)) {
            assertEquals(Opcode.NOP_IN, pdu.opcode(), "only pings before the close");
        }
        initiator.close();
    }

    /** Logged in, then PDUs that do not fit the session: each is rejected; garbage after them ends it. */
    private void mutatedPdusInFullFeaturePhase() {
        TestInitiator initiator = loggedIn(LoopbackServer.TARGET_NAME);
        initiator.send(new RequestPdu(Bhs.forOpcode(0x1d), new byte[0]));
        initiator.send(initiator.dataOut(0x6666, 0x1234, 0, 0, new byte[512], true));
        Bhs login = loginHeader();
        initiator.send(new RequestPdu(login, new byte[0]));
        for (int i = 0; i < 3; i++) {
            assertEquals(Opcode.REJECT, initiator.receive().opcode());
        }
        assertEquals(ScsiResult.GOOD, initiator.testUnitReady().status(), "rejects leave the session usable");
        Bhs huge = Bhs.forOpcode(Opcode.NOP_OUT);
        huge.setDataSegmentLength(0xffffff);
        initiator.transport().send(huge.bytes());
        assertRefused(initiator);
    }

    /**
     * Wrong CHAP secrets, one login after another: each fails, and each challenge comes later than the last. An
     * initiator that does not wait for its challenge is cut off; the right secret still gets in.
     */
    private void guessingChapSecrets() {
        List<Long> loginMillis = new ArrayList<>();
        for (int attempt = 0; attempt < 4; attempt++) {
            TestInitiator initiator = connect();
            long start = System.nanoTime();
            ResponsePdu response = initiator.loginWithChap(LoopbackServer.CHAP_TARGET_NAME, LoopbackServer.CHAP_USER,
                    "wrong-secret-" + attempt);
            loginMillis.add(Duration.ofNanos(System.nanoTime() - start).toMillis());
            assertEquals(0x0201, response.loginStatus(), "authentication failure");
            initiator.awaitClose(CLOSE_WITHIN);
            initiator.close();
        }
        // Challenges held back 0, 100, 200 and 400 ms (the maximum).
        assertTrue(loginMillis.get(1) >= 100 && loginMillis.get(2) >= 200 && loginMillis.get(3) >= 400,
                "failed logins are slowed down: " + loginMillis);

        TestInitiator impatient = connect();
        Map<String, String> first = new LinkedHashMap<>();
        first.put("InitiatorName", TestInitiator.NAME);
        first.put("SessionType", "Normal");
        first.put("TargetName", LoopbackServer.CHAP_TARGET_NAME);
        first.put("AuthMethod", "CHAP");
        impatient.send(impatient.loginRequest(1, 0, 1, false, first));
        assertEquals(0, impatient.receive().loginStatus());
        impatient.send(impatient.loginRequest(1, 0, 1, false, Map.of("CHAP_A", "5")));
        impatient.send(impatient.loginRequest(1, 0, 1, true, Map.of("CHAP_N", "farm", "CHAP_R", "0x00")));
        assertTrue(impatient.awaitClose(CLOSE_WITHIN).isEmpty(), "no challenge for an initiator that did not wait");
        impatient.close();

        TestInitiator rightSecret = connect();
        assertEquals(0, rightSecret.loginWithChap(LoopbackServer.CHAP_TARGET_NAME, LoopbackServer.CHAP_USER,
                LoopbackServer.CHAP_SECRET).loginStatus(), "the right secret still gets in");
        rightSecret.close();
    }

    /**
     * 200 connections at once from one address: while they hold the address's quota another connection from it is
     * refused outright; the flood's own connections end at the login timeout.
     */
    private void connectionFlood() throws Exception {
        List<Socket> flood = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            flood.add(new Socket(server.address().getAddress(), server.address().getPort()));
        }
        sleep(LOGIN_TIMEOUT.toMillis() / 5); // let the target accept them all
        TestInitiator latecomer = connect();
        latecomer.transport().send(new RequestPdu(loginHeader(), new byte[0]).wire(false, false));
        assertTrue(latecomer.awaitClose(LOGIN_TIMEOUT.dividedBy(2)).isEmpty(),
                "refused without an answer while the address has " + CONNECTIONS_PER_ADDRESS + " connections");
        latecomer.close();
        for (Socket socket : flood) {
            assertTrue(closedWithin(socket, CLOSE_WITHIN), "closed by the cap or the login timeout");
            socket.close();
        }
    }

    /** True when the target closes {@code socket} within {@code wait} without sending anything. */
    private static boolean closedWithin(Socket socket, Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        try {
            assertEquals(-1, socket.getInputStream().read(), "closed without a word");
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset: closed all the same
        }
    }

    private CompletableFuture<Void> attack(Runnable attack) {
        return CompletableFuture.runAsync(attack, attackers);
    }

    /** The connection ends within the guards' time, and whatever came before is a Reject or a failed login. */
    private static void assertRefused(TestInitiator initiator) {
        for (ResponsePdu pdu : initiator.awaitClose(CLOSE_WITHIN)) {
            boolean failedLogin = pdu.is(Opcode.LOGIN_RESPONSE) && pdu.loginStatus() != 0;
            assertTrue(pdu.is(Opcode.REJECT) || failedLogin, "unexpected answer " + pdu);
        }
        initiator.close();
    }

    private Bhs loginHeader() {
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.LOGIN_REQUEST);
        bhs.setImmediate(true);
        bhs.setFlags(0x80 | 1 << 2 | 3);
        bhs.setIsid(0x80_2000_0001L);
        bhs.setInitiatorTaskTag(1);
        return bhs;
    }

    private synchronized TestInitiator connect() {
        return new TestInitiator(new SocketTransport(server.address()), nextIsid++, 512);
    }

    private TestInitiator loggedIn(String targetName) {
        TestInitiator initiator = connect();
        ResponsePdu response = initiator.login(targetName, "MaxBurstLength=16384", "FirstBurstLength=8192",
                "InitialR2T=No", "MaxOutstandingR2T=2");
        assertEquals(0, response.loginStatus());
        initiator.clearUnitAttention();
        return initiator;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Writes 64 KiB regions (immediate data, unsolicited Data-Out and R2T bursts) and reads each back at once. */
    private static final class HealthySession {
        final TestInitiator initiator;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger rounds = new AtomicInteger();
        final byte[][] written = new byte[REGIONS][];

        HealthySession(TestInitiator initiator) {
            this.initiator = initiator;
        }

        void run() {
            Random random = new Random(7);
            for (int round = 0; !stop.get(); round++) {
                int region = round % REGIONS;
                byte[] data = new byte[REGION_BLOCKS * 512];
                random.nextBytes(data);
                assertEquals(ScsiResult.GOOD, initiator.write((long) region * REGION_BLOCKS, data).status());
                written[region] = data;
                assertArrayEquals(data, initiator.read((long) region * REGION_BLOCKS, REGION_BLOCKS).dataIn());
                rounds.incrementAndGet();
            }
        }

        void verifyEverything() {
            for (int region = 0; region < REGIONS; region++) {
                if (written[region] != null) {
                    assertArrayEquals(written[region],
                            initiator.read((long) region * REGION_BLOCKS, REGION_BLOCKS).dataIn(),
                            "region " + region);
                }
            }
            assertEquals(0, initiator.logout().reason());
            initiator.close();
        }
    }
}
