package dev.jtarget.iscsi.session;

import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_FINAL;
import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_READ;
import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Full feature phase over the real pipeline: login, reads, the three ways write data arrives, pings, logout. */
class FullFeaturePhaseTest {
    private final EmbeddedTarget target = new EmbeddedTarget();

    @AfterEach
    void closeTarget() {
        target.close();
    }

    @Test
    void loginEntersFullFeaturePhaseWithANewSession() {
        TestInitiator initiator = target.initiator();

        ResponsePdu response = initiator.login(EmbeddedTarget.TARGET_NAME);

        assertEquals(0, response.loginStatus());
        assertTrue(response.entersFullFeaturePhase());
        assertNotEquals(0, response.bhs().tsih());
        assertEquals(1, target.registry.size());
        assertEquals("262144", initiator.negotiated("MaxRecvDataSegmentLength"));
    }

    @Test
    void readSendsDataInPiecesWithinTheInitiatorsLimitAndStatusInTheLast() {
        byte[] content = pattern(4096, 1);
        target.fillBackend(8 * 512, content);
        TestInitiator initiator = target.loggedIn("MaxRecvDataSegmentLength=1024");

        ScsiResult result = initiator.read(8, 8);

        assertEquals(ScsiResult.GOOD, result.status());
        assertArrayEquals(content, result.dataIn());
        assertEquals(4, result.pdus().size(), "four Data-In and no separate SCSI Response");
        for (int i = 0; i < 4; i++) {
            ResponsePdu dataIn = result.pdus().get(i);
            assertTrue(dataIn.is(Opcode.SCSI_DATA_IN));
            assertEquals(i, dataIn.bhs().dataSn());
            assertEquals(i * 1024, dataIn.bhs().bufferOffset());
            assertEquals(i == 3, dataIn.hasStatus());
            assertEquals(i == 3, dataIn.bhs().isFinal());
        }
        assertEquals(0, result.flags() & (ResponsePdu.FLAG_UNDERFLOW | ResponsePdu.FLAG_OVERFLOW));
    }

    @Test
    void readOfLessThanTheExpectedLengthReportsUnderflow() {
        TestInitiator initiator = target.loggedIn();

        RequestPdu read = initiator.command(Cdbs.read10(0, 8), FLAG_FINAL | FLAG_READ, 8192, new byte[0]);
        initiator.send(read);
        ScsiResult result = initiator.awaitStatus(read.bhs().initiatorTaskTag());

        assertEquals(ScsiResult.GOOD, result.status());
        assertEquals(4096, result.dataIn().length);
        assertTrue((result.flags() & ResponsePdu.FLAG_UNDERFLOW) != 0);
        assertEquals(4096, result.residualCount());
    }

    @Test
    void readOfMoreThanTheExpectedLengthSendsWhatFitsAndReportsOverflow() {
        byte[] content = pattern(4096, 2);
        target.fillBackend(0, content);
        TestInitiator initiator = target.loggedIn();

        RequestPdu read = initiator.command(Cdbs.read10(0, 8), FLAG_FINAL | FLAG_READ, 2048, new byte[0]);
        initiator.send(read);
        ScsiResult result = initiator.awaitStatus(read.bhs().initiatorTaskTag());

        assertArrayEquals(java.util.Arrays.copyOf(content, 2048), result.dataIn());
        assertTrue((result.flags() & ResponsePdu.FLAG_OVERFLOW) != 0);
        assertEquals(2048, result.residualCount());
    }

    @Test
    void writeWithAllDataImmediateNeedsNoR2t() {
        TestInitiator initiator = target.loggedIn("ImmediateData=Yes", "InitialR2T=Yes");
        byte[] data = pattern(4096, 3);

        ScsiResult result = initiator.write(16, data);

        assertEquals(ScsiResult.GOOD, result.status());
        assertEquals(1, result.pdus().size(), "only the SCSI Response");
        assertArrayEquals(data, target.backendBytes(16 * 512, 4096));
        assertArrayEquals(data, initiator.read(16, 8).dataIn());
    }

    @Test
    void writeSendsUnsolicitedDataOutUpToFirstBurstLengthThenTheRestOnR2t() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=No", "FirstBurstLength=8192");
        initiator.setDataOutSegmentLimit(4096);
        byte[] data = pattern(16384, 4);

        ScsiResult result = initiator.write(32, data);

        assertEquals(ScsiResult.GOOD, result.status());
        assertEquals(2, result.pdus().size(), "one R2T for what follows the first burst, then the status");
        ResponsePdu r2t = result.pdus().get(0);
        assertTrue(r2t.is(Opcode.R2T));
        assertEquals(8192, r2t.bhs().bufferOffset());
        assertEquals(8192, r2t.bhs().residualCount(), "Desired Data Transfer Length");
        assertArrayEquals(data, initiator.read(32, 32).dataIn());
    }

    @Test
    void writeOfExactlyTheFirstBurstIsCompleteWithoutAnyR2t() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=No", "FirstBurstLength=8192");
        initiator.setDataOutSegmentLimit(2048);
        byte[] data = pattern(8192, 5);

        ScsiResult result = initiator.write(0, data);

        assertEquals(ScsiResult.GOOD, result.status());
        assertEquals(1, result.pdus().size());
        assertArrayEquals(data, target.backendBytes(0, 8192));
    }

    @Test
    void writeLongerThanMaxBurstLengthIsSolicitedBurstByBurstWithSeveralR2tsOutstanding() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=Yes", "MaxBurstLength=4096",
                "FirstBurstLength=4096", "MaxOutstandingR2T=4");
        byte[] data = pattern(32768, 6);
        RequestPdu write = initiator.command(Cdbs.write10(64, 64), FLAG_FINAL | FLAG_WRITE, data.length,
                new byte[0]);
        int itt = write.bhs().initiatorTaskTag();
        initiator.send(write);

        List<ResponsePdu> firstR2ts = initiator.drain();
        assertEquals(4, firstR2ts.size(), "MaxOutstandingR2T R2Ts at once");
        Set<Integer> tags = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            Bhs r2t = firstR2ts.get(i).bhs();
            assertEquals(Opcode.R2T, r2t.opcode());
            assertEquals(itt, r2t.initiatorTaskTag());
            assertEquals(i, r2t.dataSn(), "R2TSN");
            assertEquals(i * 4096, r2t.bufferOffset());
            assertEquals(4096, r2t.residualCount());
            tags.add(r2t.targetTransferTag());
        }
        assertEquals(4, tags.size(), "every R2T has its own Target Transfer Tag");

        // One burst in four Data-Out PDUs frees one R2T slot: exactly one more R2T follows.
        initiator.sendBurst(itt, firstR2ts.get(0).bhs().targetTransferTag(), data, 0, 4096, 1024);
        List<ResponsePdu> next = initiator.drain();
        assertEquals(1, next.size());
        assertEquals(4, next.get(0).bhs().dataSn());
        assertEquals(16384, next.get(0).bhs().bufferOffset());

        List<ResponsePdu> pending = new ArrayList<>(firstR2ts.subList(1, 4));
        pending.addAll(next);
        ResponsePdu status = null;
        while (status == null) {
            ResponsePdu r2t = pending.removeFirst();
            initiator.sendBurst(itt, r2t.bhs().targetTransferTag(), data, r2t.bhs().bufferOffset(),
                    r2t.bhs().residualCount(), 1024);
            for (ResponsePdu pdu : initiator.drain()) {
                if (pdu.is(Opcode.R2T)) {
                    pending.add(pdu);
                } else {
                    status = pdu;
                }
            }
        }
        assertTrue(pending.isEmpty());
        assertEquals(Opcode.SCSI_RESPONSE, status.opcode());
        assertEquals(ScsiResult.GOOD, status.status());
        assertEquals(8, status.bhs().dataSn(), "ExpDataSN counts the R2Ts");
        assertArrayEquals(data, initiator.read(64, 64).dataIn());
    }

    @Test
    void writesWaitForTheirFirstR2tWhileEarlierWritesHoldTheGatherBudget() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        int length = ScsiCommandFlow.MAX_TRANSFER_LENGTH;
        List<RequestPdu> holding = new ArrayList<>();
        for (long i = 0; i < GatherBudget.LIMIT / length; i++) {
            RequestPdu write = initiator.command(Cdbs.write10(0, 1), FLAG_FINAL | FLAG_WRITE, length, new byte[0]);
            initiator.send(write);
            assertEquals(Opcode.R2T, initiator.receive().opcode());
            holding.add(write);
        }
        RequestPdu waiting = initiator.command(Cdbs.write10(0, 1), FLAG_FINAL | FLAG_WRITE, length, new byte[0]);
        initiator.send(waiting);
        assertTrue(initiator.drain().isEmpty(), "no room for another 32 MiB write");

        RequestPdu first = holding.getFirst();
        initiator.send(initiator.taskManagement(TaskManagementFunctions.ABORT_TASK, first.bhs().initiatorTaskTag(),
                first.bhs().cmdSn()));
        List<ResponsePdu> answers = initiator.drain();

        assertEquals(Opcode.R2T, answers.get(0).opcode(), "the waiting write gets the room the aborted one had");
        assertEquals(waiting.bhs().initiatorTaskTag(), answers.get(0).itt());
        assertEquals(Opcode.TASK_MANAGEMENT_RESPONSE, answers.get(1).opcode());
    }

    @Test
    void nopOutIsAnsweredWithItsDataEchoed() {
        TestInitiator initiator = target.loggedIn();
        byte[] ping = "are you there?".getBytes(StandardCharsets.US_ASCII);

        RequestPdu nopOut = initiator.nopOut(ping);
        initiator.send(nopOut);
        ResponsePdu nopIn = initiator.receive();

        assertEquals(Opcode.NOP_IN, nopIn.opcode());
        assertEquals(nopOut.bhs().initiatorTaskTag(), nopIn.itt());
        assertEquals(Bhs.RESERVED_TAG, nopIn.bhs().targetTransferTag());
        assertArrayEquals(ping, nopIn.data());
    }

    @Test
    void logoutIsAnsweredThenTheConnectionClosesAndTheSessionEnds() {
        TestInitiator initiator = target.loggedIn();

        ResponsePdu response = initiator.logout();

        assertEquals(Opcode.LOGOUT_RESPONSE, response.opcode());
        assertEquals(0, response.reason(), "connection or session closed successfully");
        assertTrue(initiator.awaitClose(Duration.ofSeconds(1)).isEmpty());
        assertEquals(0, target.registry.size());
    }

    @Test
    void headerAndDataDigestsCoverEveryPduAfterLogin() {
        TestInitiator initiator = target.loggedIn("HeaderDigest=CRC32C", "DataDigest=CRC32C");
        assertEquals("CRC32C", initiator.negotiated("HeaderDigest"));
        assertEquals("CRC32C", initiator.negotiated("DataDigest"));
        byte[] data = pattern(6000 / 512 * 512, 7);

        // The parser checks both digests on every PDU the target sends.
        assertEquals(ScsiResult.GOOD, initiator.write(100, data).status());
        assertArrayEquals(data, initiator.read(100, data.length / 512).dataIn());
    }

    @Test
    void pduWithABadHeaderDigestClosesTheConnection() {
        TestInitiator initiator = target.loggedIn("HeaderDigest=CRC32C");
        byte[] wire = initiator.nopOut(new byte[0]).wire(true, false);
        wire[Bhs.LENGTH] ^= 0x01; // first byte of the header digest

        initiator.transport().send(wire);

        // RFC 7143 §7.8: the PDU boundaries are lost, so at ErrorRecoveryLevel 0 the connection ends.
        assertTrue(initiator.awaitClose(Duration.ofSeconds(1)).isEmpty());
        assertEquals(0, target.registry.size());
    }

    @Test
    void dataOutWithABadDataDigestIsRejectedAndTheConnectionStays() {
        TestInitiator initiator = target.loggedIn("DataDigest=CRC32C", "ImmediateData=No", "InitialR2T=Yes");
        RequestPdu write = initiator.command(Cdbs.write10(0, 1), FLAG_FINAL | FLAG_WRITE, 512, new byte[0]);
        initiator.send(write);
        ResponsePdu r2t = initiator.receive();
        byte[] wire = initiator.dataOut(write.bhs().initiatorTaskTag(), r2t.bhs().targetTransferTag(), 0, 0,
                pattern(512, 8), true).wire(false, true);
        wire[wire.length - 1] ^= 0x01; // last byte of the data digest

        initiator.transport().send(wire);
        ResponsePdu reject = initiator.receive();

        assertEquals(Opcode.REJECT, reject.opcode());
        assertEquals(0x02, reject.reason(), "data (payload) digest error");
        assertEquals(write.bhs().initiatorTaskTag(), reject.rejectedHeader().initiatorTaskTag());
        assertFalse(initiator.transport().isClosed());
        // The initiator may send the data again for the same R2T.
        initiator.sendBurst(write.bhs().initiatorTaskTag(), r2t.bhs().targetTransferTag(), pattern(512, 8), 0, 512,
                512);
        assertEquals(ScsiResult.GOOD, initiator.awaitStatus(write.bhs().initiatorTaskTag()).status());
    }

    static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i * 7 + (i >> 8));
        }
        return bytes;
    }
}
