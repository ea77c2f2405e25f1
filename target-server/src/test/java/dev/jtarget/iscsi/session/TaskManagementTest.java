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
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Task management functions (RFC 7143 §11.5, §11.6) against tasks in each state. */
class TaskManagementTest {
    private HeldCommands device;
    private final EmbeddedTarget target = new EmbeddedTarget(TargetLimits.DEFAULTS, 2048,
            scsiTarget -> device = new HeldCommands(scsiTarget));

    @AfterEach
    void closeTarget() {
        target.close();
    }

    @Test
    void abortTaskOfAWriteWaitingForDataCompletesAndTheWriteNeverAnswers() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        RequestPdu write = initiator.command(Cdbs.write10(0, 8), FLAG_FINAL | FLAG_WRITE, 4096, new byte[0]);
        int itt = write.bhs().initiatorTaskTag();
        initiator.send(write);
        ResponsePdu r2t = initiator.receive();
        assertEquals(Opcode.R2T, r2t.opcode());

        RequestPdu abort = initiator.taskManagement(TaskManagementFunctions.ABORT_TASK, itt, write.bhs().cmdSn());
        initiator.send(abort);
        List<ResponsePdu> answers = initiator.drain();

        assertEquals(1, answers.size(), "the TM response and nothing for the aborted write");
        assertEquals(Opcode.TASK_MANAGEMENT_RESPONSE, answers.get(0).opcode());
        assertEquals(abort.bhs().initiatorTaskTag(), answers.get(0).itt());
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, answers.get(0).reason());
        // Data for the aborted task's R2T now names a task that is gone.
        initiator.send(initiator.dataOut(itt, r2t.bhs().targetTransferTag(), 0, 0, new byte[4096], true));
        assertEquals(Opcode.REJECT, initiator.receive().opcode());
        assertEquals(ScsiResult.GOOD, initiator.testUnitReady().status());
    }

    @Test
    void abortTaskOfAnExecutingReadAnswersOnceTheReadIsDoneAndSuppressesItsData() {
        TestInitiator initiator = target.loggedIn();
        device.hold();
        RequestPdu read = initiator.command(Cdbs.read10(0, 8), FLAG_FINAL | FLAG_READ, 4096, new byte[0]);
        initiator.send(read);
        assertEquals(1, device.heldCount());

        RequestPdu abort = initiator.taskManagement(TaskManagementFunctions.ABORT_TASK,
                read.bhs().initiatorTaskTag(), read.bhs().cmdSn());
        initiator.send(abort);
        assertTrue(initiator.drain().isEmpty(), "the response waits until the task has left the target");

        device.releaseAll();
        List<ResponsePdu> answers = initiator.drain();
        assertEquals(1, answers.size(), "no Data-In or SCSI Response for the aborted read");
        assertEquals(abort.bhs().initiatorTaskTag(), answers.get(0).itt());
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, answers.get(0).reason());
    }

    @Test
    void abortTaskOfATaskNeverReceivedSaysItDoesNotExist() {
        TestInitiator initiator = target.loggedIn();

        RequestPdu abort = initiator.taskManagement(TaskManagementFunctions.ABORT_TASK, 0x5555,
                initiator.nextCmdSn());
        initiator.send(abort);

        assertEquals(TaskManagementFunctions.TASK_DOES_NOT_EXIST, initiator.receive().reason());
    }

    @Test
    void lunResetEndsTheLunsTasksAndEverySessionSeesAUnitAttention() {
        TestInitiator resetting = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        TestInitiator other = target.loggedIn();
        RequestPdu write = resetting.command(Cdbs.write10(0, 1), FLAG_FINAL | FLAG_WRITE, 512, new byte[0]);
        resetting.send(write);
        assertEquals(Opcode.R2T, resetting.receive().opcode());

        resetting.send(resetting.taskManagement(TaskManagementFunctions.LOGICAL_UNIT_RESET, -1, 0));
        List<ResponsePdu> answers = resetting.drain();

        assertEquals(1, answers.size());
        assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, answers.get(0).reason());
        // SAM-5 §7.7: every I_T nexus, the issuer's included, learns of the reset (libiscsi's MultipathIO.Reset
        // checks the same on both paths).
        ScsiResult seenByOther = other.testUnitReady();
        assertEquals(ScsiResult.CHECK_CONDITION, seenByOther.status());
        assertEquals(0x062903, seenByOther.senseCode(), "UNIT ATTENTION: BUS DEVICE RESET FUNCTION OCCURRED");
        ScsiResult seenByIssuer = resetting.testUnitReady();
        assertEquals(ScsiResult.CHECK_CONDITION, seenByIssuer.status());
        assertEquals(0x062903, seenByIssuer.senseCode());
        assertEquals(ScsiResult.GOOD, resetting.testUnitReady().status(), "a unit attention is reported once");
        assertArrayEquals(new byte[512], target.backendBytes(0, 512), "the aborted write wrote nothing");
    }

    @Test
    void lunResetOfALunThatDoesNotExistSaysSo() {
        TestInitiator initiator = target.loggedIn();
        RequestPdu reset = initiator.taskManagement(TaskManagementFunctions.LOGICAL_UNIT_RESET, -1, 0);
        reset.bhs().setLun(5L << 48);

        initiator.send(reset);

        assertEquals(TaskManagementFunctions.LUN_DOES_NOT_EXIST, initiator.receive().reason());
    }
}
