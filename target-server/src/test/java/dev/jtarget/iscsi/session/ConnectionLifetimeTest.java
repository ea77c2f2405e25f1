package dev.jtarget.iscsi.session;

import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_FINAL;
import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.EmbeddedTransport;
import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.login.TargetLimits;
import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.testing.LogCapture;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How connections end: timeouts for slow and silent peers, failed logins, logout with work outstanding. */
class ConnectionLifetimeTest {
    private static final Duration SECOND = Duration.ofSeconds(1);
    private final EmbeddedTarget target = new EmbeddedTarget();

    @AfterEach
    void closeTarget() {
        target.close();
    }

    @Test
    void connectionThatNeverCompletesItsLoginIsClosedAtTheLoginTimeout() {
        TestInitiator initiator = target.initiator();
        EmbeddedTransport connection = (EmbeddedTransport) initiator.transport();
        connection.send(new byte[20]); // the start of a header, never finished

        EmbeddedTarget.advanceTime(connection, EmbeddedTarget.LOGIN_TIMEOUT.minus(SECOND));
        assertFalse(connection.isClosed());
        EmbeddedTarget.advanceTime(connection, SECOND);
        assertTrue(connection.isClosed());
    }

    @Test
    void silentConnectionIsPingedAndClosedWhenThePingGoesUnanswered() {
        TestInitiator initiator = target.loggedIn();
        EmbeddedTransport connection = (EmbeddedTransport) initiator.transport();

        EmbeddedTarget.advanceTime(connection, EmbeddedTarget.NOP_INTERVAL.plus(SECOND.multipliedBy(5)));
        ResponsePdu ping = initiator.receive();
        assertEquals(Opcode.NOP_IN, ping.opcode());
        assertEquals(Bhs.RESERVED_TAG, ping.itt());
        assertNotEquals(Bhs.RESERVED_TAG, ping.bhs().targetTransferTag(), "a ping that asks for an answer");
        assertFalse(connection.isClosed());

        EmbeddedTarget.advanceTime(connection, EmbeddedTarget.NOP_TIMEOUT);
        assertTrue(connection.isClosed());
        assertEquals(0, target.registry.size());
    }

    @Test
    void initiatorThatNeverAnswersPingsButKeepsWorkingIsNotCutOff() {
        TestInitiator initiator = target.loggedIn(); // like iPXE, which ignores NOP-In
        EmbeddedTransport connection = (EmbeddedTransport) initiator.transport();

        for (int i = 0; i < 20; i++) {
            EmbeddedTarget.advanceTime(connection, EmbeddedTarget.NOP_INTERVAL.minus(SECOND));
            initiator.send(initiator.command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]));
            assertEquals(Opcode.SCSI_RESPONSE, initiator.receive().opcode());
        }

        assertFalse(connection.isClosed(), "five minutes of work, never a ping unanswered for long");
    }

    /**
     * iPXE ignores every ping; RFC 7143 leaves the keep-alive policy to the target, and any PDU received proves the
     * initiator alive. Each pause here is long enough for a ping and short of the timeout after it.
     */
    @Test
    void pingsLeftUnansweredDoNotCutOffAnInitiatorThatKeepsSendingCommands() {
        TestInitiator initiator = target.loggedIn();
        EmbeddedTransport connection = (EmbeddedTransport) initiator.transport();
        initiator.setAnswerTargetPings(false);
        Duration pause = EmbeddedTarget.NOP_INTERVAL.plus(EmbeddedTarget.NOP_TIMEOUT.dividedBy(2));

        for (int i = 0; i < 10; i++) {
            EmbeddedTarget.advanceTime(connection, pause);
            assertEquals(ScsiResult.GOOD, initiator.testUnitReady().status());
        }

        assertEquals(10, initiator.targetPingsIgnored(), "one ping per pause, none answered");
        assertFalse(connection.isClosed(), "ten pauses of " + pause.toSeconds() + " s between commands");
    }

    /**
     * A command that takes longer than the keep-alive allows (a stalled backend behind a full cache) must not cost an
     * initiator that ignores pings its connection: it is silent because it waits for us.
     */
    @Test
    void silenceWhileOurCommandExecutesDoesNotCountAgainstTheInitiator() {
        HeldCommands[] device = new HeldCommands[1];
        try (EmbeddedTarget held = new EmbeddedTarget(TargetLimits.DEFAULTS, 256,
                scsiTarget -> device[0] = new HeldCommands(scsiTarget))) {
            TestInitiator initiator = held.loggedIn();
            EmbeddedTransport connection = (EmbeddedTransport) initiator.transport();
            initiator.setAnswerTargetPings(false);
            device[0].hold();
            initiator.send(initiator.command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]));

            Duration longerThanTheKeepAlive =
                    EmbeddedTarget.NOP_INTERVAL.plus(EmbeddedTarget.NOP_TIMEOUT).multipliedBy(3);
            EmbeddedTarget.advanceTime(connection, longerThanTheKeepAlive);
            assertFalse(connection.isClosed(), "the initiator waited for our answer all along");

            device[0].releaseAll();
            assertEquals(Opcode.SCSI_RESPONSE, initiator.receive().opcode());
            EmbeddedTarget.advanceTime(connection, longerThanTheKeepAlive);
            assertTrue(connection.isClosed(), "once answered, its silence counts again");
        }
    }

    @Test
    void whatArrivesAfterAFailedLoginIsIgnored() {
        try (LogCapture log = new LogCapture()) {
            TestInitiator initiator = target.initiator();
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            stream.writeBytes(loginRequest("iqn.2026-01.dev.jtarget.test:nonexistent"));
            stream.writeBytes(loginRequest(EmbeddedTarget.TARGET_NAME));

            initiator.transport().send(stream.toByteArray());
            List<ResponsePdu> answers = initiator.awaitClose(SECOND);

            assertEquals(1, answers.size());
            assertEquals(0x0203, answers.get(0).loginStatus(), "target not found");
            assertEquals(List.of(), log.errors());
        }
    }

    @Test
    void logoutEndsTasksStillWaitingForDataAndIsAnswered() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        initiator.send(initiator.command(Cdbs.write10(0, 8), FLAG_FINAL | FLAG_WRITE, 4096, new byte[0]));
        assertEquals(Opcode.R2T, initiator.receive().opcode());

        ResponsePdu response = initiator.logout();

        assertEquals(Opcode.LOGOUT_RESPONSE, response.opcode(), "no SCSI Response for the ended write first");
        assertEquals(0, response.reason());
        assertTrue(initiator.awaitClose(SECOND).isEmpty());
    }

    @Test
    void immediateCommandsBeyondTheirCapAreRejected() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        for (int i = 0; i < ScsiCommandFlow.MAX_IMMEDIATE_TASKS; i++) {
            initiator.send(initiator.immediateCommand(Cdbs.write10(i, 1), FLAG_FINAL | FLAG_WRITE, 512,
                    new byte[0]));
            assertEquals(Opcode.R2T, initiator.receive().opcode());
        }

        RequestPdu oneTooMany = initiator.immediateCommand(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]);
        initiator.send(oneTooMany);

        ResponsePdu reject = initiator.receive();
        assertEquals(Opcode.REJECT, reject.opcode());
        assertEquals(TargetPdus.REJECT_IMMEDIATE_COMMAND, reject.reason());
        assertEquals(ScsiResult.GOOD, initiator.testUnitReady().status(), "ordinary commands still run");
    }

    private static byte[] loginRequest(String targetName) {
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.LOGIN_REQUEST);
        bhs.setImmediate(true);
        bhs.setFlags(0x80 | 1 << 2 | 3);
        bhs.setIsid(0x80_0000_0042L);
        bhs.setInitiatorTaskTag(1);
        String text = "InitiatorName=" + TestInitiator.NAME + "\0SessionType=Normal\0TargetName=" + targetName + "\0";
        return new RequestPdu(bhs, text.getBytes(StandardCharsets.US_ASCII)).wire(false, false);
    }
}
