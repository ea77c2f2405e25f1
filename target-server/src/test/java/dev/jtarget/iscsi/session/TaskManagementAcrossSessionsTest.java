package dev.jtarget.iscsi.session;

import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_FINAL;
import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_READ;
import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.login.TargetLimits;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.scsi.ScsiResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Task management that reaches other I_T nexuses (SAM-5 §5.6, §7.7; RFC 7143 §11.5.1): their tasks on the LUN end
 * with TASK ABORTED (we report TAS=1), a write among them first receives the Data-Out its R2T asked for, and the
 * issuer's response waits for all of it. Also ABORT TASK for a command still on its way (§11.5.1 b).
 */
class TaskManagementAcrossSessionsTest {
    private static final long LUN_1 = 1L << 48; // peripheral device addressing
    private static final int UNIT_ATTENTION_BUS_DEVICE_RESET = 0x062903;

    private HeldCommands device;
    private final EmbeddedTarget target = new EmbeddedTarget(TargetLimits.DEFAULTS, 2048, 2,
            scsiTarget -> device = new HeldCommands(scsiTarget));

    @AfterEach
    void closeTarget() {
        target.close();
    }

    @Test
    void lunResetEndsEveryNexusTasksOnTheLunWithTaskAbortedBeforeItAnswers() {
        TestInitiator resetting = target.loggedIn();
        TestInitiator other = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        TestInitiator elsewhere = target.loggedIn();
        clearUnitAttentionOnLun1(elsewhere);
        RequestPdu write = other.command(Cdbs.write10(0, 8), FLAG_FINAL | FLAG_WRITE, 4096, new byte[0]);
        other.send(write);
        ResponsePdu r2t = other.receive();
        assertEquals(Opcode.R2T, r2t.opcode());
        device.hold();
        RequestPdu read = other.command(Cdbs.read10(0, 8), FLAG_FINAL | FLAG_READ, 4096, new byte[0]);
        other.send(read);
        RequestPdu readOnLun1 = elsewhere.command(Cdbs.read10(0, 8), FLAG_FINAL | FLAG_READ, 4096, new byte[0]);
        readOnLun1.bhs().setLun(LUN_1);
        elsewhere.send(readOnLun1);
        assertEquals(2, device.heldCount());

        RequestPdu reset = resetting.taskManagement(TaskManagementFunctions.LOGICAL_UNIT_RESET, -1, 0);
        resetting.send(reset);
        assertTrue(resetting.drain().isEmpty(), "the response waits for the other session's tasks");
        assertTrue(other.drain().isEmpty(), "the write still waits for the data its R2T asked for");

        // RFC 7143 §4.2.3.3: the data the R2T solicited is taken, not rejected; then the write ends, unexecuted.
        other.send(other.dataOut(write.bhs().initiatorTaskTag(), r2t.bhs().targetTransferTag(), 0, 0,
                filled(4096), true));
        List<ResponsePdu> writeEnd = other.drain();
        assertEquals(1, writeEnd.size(), "only the status: " + writeEnd);
        assertTaskAborted(writeEnd.get(0), write);
        assertTrue(resetting.drain().isEmpty(), "the read on the LUN is still executing");

        device.releaseAll();
        List<ResponsePdu> readEnd = other.drain();
        assertEquals(1, readEnd.size(), "no Data-In for the aborted read: " + readEnd);
        assertTaskAborted(readEnd.get(0), read);
        List<ResponsePdu> answer = resetting.drain();
        assertEquals(1, answer.size());
        assertEquals(reset.bhs().initiatorTaskTag(), answer.get(0).itt());
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, answer.get(0).reason());

        ScsiResult unaffected = elsewhere.awaitStatus(readOnLun1.bhs().initiatorTaskTag());
        assertEquals(ScsiResult.GOOD, unaffected.status(), "a session on another LUN keeps its task");
        assertEquals(4096, unaffected.dataIn().length);
        ScsiResult nextOnLun = other.testUnitReady();
        assertEquals(ScsiResult.CHECK_CONDITION, nextOnLun.status());
        assertEquals(UNIT_ATTENTION_BUS_DEVICE_RESET, nextOnLun.senseCode());
        assertEquals(ScsiResult.GOOD, testUnitReadyOnLun1(elsewhere).status(), "LUN 1 was not reset");
        assertArrayEquals(new byte[4096], target.backendBytes(0, 4096), "the aborted write wrote nothing");
    }

    @Test
    void abortTaskSetLeavesOtherSessionsAloneButClearTaskSetDoesNot() {
        TestInitiator issuer = target.loggedIn();
        TestInitiator other = target.loggedIn();
        RequestPdu first = sendHeldRead(other);

        issuer.send(issuer.taskManagement(TaskManagementFunctions.ABORT_TASK_SET, -1, 0));
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, issuer.receive().reason(),
                "ABORT TASK SET covers only the issuing nexus (SAM-5 §7.3)");
        RequestPdu second = sendHeldRead(other);
        assertEquals(2, device.heldCount());

        issuer.send(issuer.taskManagement(TaskManagementFunctions.CLEAR_TASK_SET, -1, 0));
        assertTrue(issuer.drain().isEmpty(), "CLEAR TASK SET waits for the other nexus' tasks (TST=000b)");
        device.releaseAll();
        List<ResponsePdu> ends = other.drain();
        assertEquals(2, ends.size(), "two statuses and no Data-In: " + ends);
        assertTaskAborted(ends.get(0), first);
        assertTaskAborted(ends.get(1), second);
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, issuer.receive().reason());
        assertEquals(ScsiResult.GOOD, other.testUnitReady().status(), "CLEAR TASK SET sets no unit attention");
    }

    @Test
    void targetColdResetAnswersThenEndsEveryConnectionToTheTarget() {
        TestInitiator issuer = target.loggedIn();
        TestInitiator other = target.loggedIn();
        RequestPdu read = sendHeldRead(other);

        issuer.send(issuer.taskManagement(TaskManagementFunctions.TARGET_COLD_RESET, -1, 0));
        assertTrue(issuer.drain().isEmpty());
        device.releaseAll();

        List<ResponsePdu> issuerSaw = issuer.awaitClose(Duration.ofSeconds(5));
        assertEquals(1, issuerSaw.size(), "the response leaves before the connection closes (RFC 7143 §11.5.1)");
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, issuerSaw.get(0).reason());
        List<ResponsePdu> otherSaw = other.awaitClose(Duration.ofSeconds(5));
        assertEquals(1, otherSaw.size(), String.valueOf(otherSaw));
        assertTaskAborted(otherSaw.get(0), read);
    }

    @Test
    void targetColdResetWithNothingToAbortStillAnswersBeforeClosing() {
        TestInitiator issuer = target.loggedIn();

        issuer.send(issuer.taskManagement(TaskManagementFunctions.TARGET_COLD_RESET, -1, 0));

        List<ResponsePdu> issuerSaw = issuer.awaitClose(Duration.ofSeconds(5));
        assertEquals(1, issuerSaw.size(), "answered within the read that brought the request, then closed");
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, issuerSaw.get(0).reason());
    }

    @Test
    void abortTaskForACommandStillOnItsWayCompletesAndTheCommandNeverRuns() {
        TestInitiator initiator = target.loggedIn();
        RequestPdu lost = initiator.command(Cdbs.write10(0, 1), FLAG_FINAL | FLAG_WRITE, 512, filled(512));

        RequestPdu abort = initiator.taskManagement(TaskManagementFunctions.ABORT_TASK,
                lost.bhs().initiatorTaskTag(), lost.bhs().cmdSn());
        initiator.send(abort);
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, initiator.receive().reason(),
                "RFC 7143 §11.5.1 b): RefCmdSN is in the window");
        initiator.send(lost);

        assertTrue(initiator.drain().isEmpty(), "the command arriving late is discarded without an answer");
        assertEquals(ScsiResult.GOOD, initiator.testUnitReady().status(), "later CmdSNs proceed");
        assertArrayEquals(new byte[512], target.backendBytes(0, 512), "the aborted write never ran");
    }

    @Test
    void abortTaskForTheMissingCmdSnOfAGapReleasesTheCommandsWaitingBehindIt() {
        TestInitiator initiator = target.loggedIn();
        RequestPdu lost = initiator.command(Cdbs.write10(0, 1), FLAG_FINAL | FLAG_WRITE, 512, filled(512));
        RequestPdu behind = initiator.command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]);
        initiator.send(behind);
        assertTrue(initiator.drain().isEmpty(), "CmdSN order: it waits for the missing one");

        initiator.send(initiator.taskManagement(TaskManagementFunctions.ABORT_TASK, lost.bhs().initiatorTaskTag(),
                lost.bhs().cmdSn()));
        List<ResponsePdu> answers = initiator.drain();

        assertEquals(2, answers.size(), String.valueOf(answers));
        assertEquals(Opcode.TASK_MANAGEMENT_RESPONSE, answers.get(0).opcode());
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, answers.get(0).reason());
        assertEquals(behind.bhs().initiatorTaskTag(), answers.get(1).itt());
        assertEquals(ScsiResult.GOOD, answers.get(1).status());
        initiator.send(lost);
        assertTrue(initiator.drain().isEmpty());
        assertArrayEquals(new byte[512], target.backendBytes(0, 512));
    }

    /** A one-block read of LUN 0 that stays in execution until {@code device.releaseAll()}. */
    private RequestPdu sendHeldRead(TestInitiator initiator) {
        device.hold();
        RequestPdu read = initiator.command(Cdbs.read10(0, 1), FLAG_FINAL | FLAG_READ, 512, new byte[0]);
        initiator.send(read);
        return read;
    }

    private static void assertTaskAborted(ResponsePdu pdu, RequestPdu command) {
        assertEquals(Opcode.SCSI_RESPONSE, pdu.opcode());
        assertEquals(command.bhs().initiatorTaskTag(), pdu.itt());
        assertEquals(ScsiResponse.TASK_ABORTED, pdu.status(), "TAS=1: the other nexus learns its task was aborted");
    }

    private static ScsiResult testUnitReadyOnLun1(TestInitiator initiator) {
        RequestPdu command = initiator.command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]);
        command.bhs().setLun(LUN_1);
        initiator.send(command);
        return initiator.awaitStatus(command.bhs().initiatorTaskTag());
    }

    /** A new nexus has a unit attention pending on every LUN; {@link TestInitiator#loggedIn} clears LUN 0's. */
    private static void clearUnitAttentionOnLun1(TestInitiator initiator) {
        assertEquals(ScsiResult.CHECK_CONDITION, testUnitReadyOnLun1(initiator).status());
        assertEquals(ScsiResult.GOOD, testUnitReadyOnLun1(initiator).status());
    }

    private static byte[] filled(int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) 0x5a);
        return bytes;
    }
}
