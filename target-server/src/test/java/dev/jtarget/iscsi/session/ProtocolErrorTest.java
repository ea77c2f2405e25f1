package dev.jtarget.iscsi.session;

import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_FINAL;
import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * PDUs that do not fit the session: each is answered with a Reject carrying the offending header (RFC 7143 §11.17)
 * and the session goes on, or, where the stream itself cannot be trusted, the connection closes.
 */
class ProtocolErrorTest {
    private final EmbeddedTarget target = new EmbeddedTarget();

    @AfterEach
    void closeTarget() {
        target.close();
    }

    @Test
    void dataOutForATaskTheTargetDoesNotKnowIsRejected() {
        TestInitiator initiator = target.loggedIn();
        RequestPdu dataOut = initiator.dataOut(0x7777, 0x1234, 0, 0, new byte[512], true);

        initiator.send(dataOut);

        assertRejected(initiator, TargetPdus.REJECT_INVALID_PDU_FIELD, dataOut);
        assertStillServing(initiator);
    }

    @Test
    void unsolicitedDataOutForATaskTheTargetDoesNotKnowIsIgnored() {
        // Data that was in flight for a command the target already ended (e.g. refused) is expected and harmless.
        TestInitiator initiator = target.loggedIn();

        initiator.send(initiator.dataOut(0x7777, Bhs.RESERVED_TAG, 0, 0, new byte[512], true));

        assertTrue(initiator.drain().isEmpty());
        assertStillServing(initiator);
    }

    @Test
    void dataOutThatDoesNotMatchItsR2tIsRejectedAndTheR2tStillStands() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        byte[] data = FullFeaturePhaseTest.pattern(1024, 9);
        RequestPdu write = initiator.command(Cdbs.write10(2, 2), FLAG_FINAL | FLAG_WRITE, 1024, new byte[0]);
        int itt = write.bhs().initiatorTaskTag();
        initiator.send(write);
        int ttt = initiator.receive().bhs().targetTransferTag();

        RequestPdu wrongTag = initiator.dataOut(itt, ttt + 1, 0, 0, data, true);
        initiator.send(wrongTag);
        assertRejected(initiator, TargetPdus.REJECT_PROTOCOL_ERROR, wrongTag);
        RequestPdu wrongOffset = initiator.dataOut(itt, ttt, 0, 512, new byte[512], true);
        initiator.send(wrongOffset);
        assertRejected(initiator, TargetPdus.REJECT_PROTOCOL_ERROR, wrongOffset);

        initiator.sendBurst(itt, ttt, data, 0, 1024, 1024);
        assertEquals(ScsiResult.GOOD, initiator.awaitStatus(itt).status());
        assertArrayEquals(data, target.backendBytes(2 * 512, 1024));
    }

    @Test
    void immediateDataThatWasNotNegotiatedIsRejected() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        RequestPdu write = initiator.command(Cdbs.write10(0, 1), FLAG_FINAL | FLAG_WRITE, 512, new byte[512]);

        initiator.send(write);

        assertRejected(initiator, TargetPdus.REJECT_PROTOCOL_ERROR, write);
        assertStillServing(initiator);
    }

    @Test
    void loginRequestInFullFeaturePhaseIsRejected() {
        TestInitiator initiator = target.loggedIn();
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.LOGIN_REQUEST);
        bhs.setImmediate(true);
        bhs.setFlags(0x80 | 1 << 2 | 3);
        bhs.setInitiatorTaskTag(0x4242);
        byte[] text = "InitiatorName=iqn.2026-01.dev.jtarget.test:other\0".getBytes(StandardCharsets.US_ASCII);
        RequestPdu login = new RequestPdu(bhs, text);

        initiator.send(login);

        assertRejected(initiator, TargetPdus.REJECT_PROTOCOL_ERROR, login);
        assertStillServing(initiator);
    }

    @Test
    void unknownOpcodeIsRejectedAsNotSupported() {
        TestInitiator initiator = target.loggedIn();
        Bhs bhs = Bhs.forOpcode(0x1c);
        bhs.setInitiatorTaskTag(0x4243);
        RequestPdu unknown = new RequestPdu(bhs, new byte[0]);

        initiator.send(unknown);

        assertRejected(initiator, TargetPdus.REJECT_COMMAND_NOT_SUPPORTED, unknown);
        assertStillServing(initiator);
    }

    @Test
    void snackIsRejectedAtErrorRecoveryLevelZero() {
        TestInitiator initiator = target.loggedIn();
        Bhs bhs = Bhs.forOpcode(Opcode.SNACK_REQUEST);
        bhs.setInitiatorTaskTag(0x4244);
        RequestPdu snack = new RequestPdu(bhs, new byte[0]);

        initiator.send(snack);

        assertRejected(initiator, TargetPdus.REJECT_PROTOCOL_ERROR, snack);
        assertStillServing(initiator);
    }

    @Test
    void scsiCommandBeforeLoginClosesTheConnectionWithoutAnswer() {
        TestInitiator initiator = target.initiator();

        initiator.send(initiator.command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]));

        assertTrue(initiator.awaitClose(Duration.ofSeconds(1)).isEmpty());
        assertEquals(0, target.registry.size());
    }

    @Test
    void dataSegmentLongerThanTheDeclaredLimitClosesTheConnection() {
        TestInitiator initiator = target.loggedIn();
        Bhs bhs = Bhs.forOpcode(Opcode.NOP_OUT);
        bhs.setInitiatorTaskTag(0x4245);
        bhs.setDataSegmentLength(262145);
        byte[] header = bhs.bytes(); // only the header: the target must refuse before waiting for the data

        initiator.transport().send(header);

        assertTrue(initiator.awaitClose(Duration.ofSeconds(1)).isEmpty());
        assertEquals(0, target.registry.size());
    }

    private static void assertRejected(TestInitiator initiator, int reason, RequestPdu rejected) {
        ResponsePdu reject = initiator.receive();
        assertEquals(Opcode.REJECT, reject.opcode(), () -> "expected a Reject, got " + reject);
        assertEquals(reason, reject.reason());
        assertEquals(Bhs.RESERVED_TAG, reject.itt());
        assertArrayEquals(rejected.bhs().bytes(), reject.rejectedHeader().bytes(), "the rejected header comes back");
    }

    private static void assertStillServing(TestInitiator initiator) {
        assertEquals(ScsiResult.GOOD, initiator.testUnitReady().status());
        assertFalse(initiator.transport().isClosed());
    }
}
