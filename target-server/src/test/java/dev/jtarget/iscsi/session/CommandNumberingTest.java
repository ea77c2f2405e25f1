package dev.jtarget.iscsi.session;

import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_FINAL;
import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.login.TargetLimits;
import dev.jtarget.iscsi.pdu.Opcode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CmdSN ordering and the command window (RFC 7143 §4.2.2.1) as an initiator sees them. */
class CommandNumberingTest {
    /** A window of four commands, so filling it takes four writes. */
    private static final int WINDOW = 4;
    private final EmbeddedTarget target = new EmbeddedTarget(new TargetLimits(262144, 1048576, 262144, 16, 2, 20,
            WINDOW, 1));

    @AfterEach
    void closeTarget() {
        target.close();
    }

    @Test
    void commandsArrivingOutOfCmdSnOrderAreExecutedInCmdSnOrder() {
        TestInitiator initiator = target.loggedIn();
        RequestPdu first = initiator.command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]);
        RequestPdu second = initiator.command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]);

        initiator.send(second);
        assertTrue(initiator.drain().isEmpty(), "the second waits for the first");
        initiator.send(first);
        List<ResponsePdu> responses = initiator.drain();

        assertEquals(2, responses.size());
        assertEquals(first.bhs().initiatorTaskTag(), responses.get(0).itt());
        assertEquals(second.bhs().initiatorTaskTag(), responses.get(1).itt());
        assertEquals(second.bhs().cmdSn() + 1, responses.get(1).bhs().expCmdSn());
    }

    @Test
    void commandsOutsideTheWindowAreDroppedWithoutAnswer() {
        TestInitiator initiator = target.loggedIn();
        ResponsePdu before = ping(initiator);
        int expCmdSn = before.bhs().expCmdSn();

        initiator.send(initiator.commandWithCmdSn(Cdbs.testUnitReady(), before.bhs().maxCmdSn() + 1));
        initiator.send(initiator.commandWithCmdSn(Cdbs.testUnitReady(), expCmdSn - 1));
        initiator.send(initiator.commandWithCmdSn(Cdbs.testUnitReady(), expCmdSn + 0x4000_0000));

        assertTrue(initiator.drain().isEmpty());
        assertEquals(expCmdSn, ping(initiator).bhs().expCmdSn(), "no CmdSN was consumed");
        assertEquals(ScsiResult.GOOD, initiator.testUnitReady().status(), "numbering goes on where it was");
    }

    @Test
    void maxCmdSnOpensOnlyAsCommandsFinish() {
        TestInitiator initiator = target.loggedIn("ImmediateData=No", "InitialR2T=Yes");
        int expCmdSn = ping(initiator).bhs().expCmdSn();
        assertEquals(expCmdSn + WINDOW - 1, ping(initiator).bhs().maxCmdSn());

        // Writes waiting for their data keep their slots: the window is full after four.
        List<RequestPdu> writes = new ArrayList<>();
        List<ResponsePdu> r2ts = new ArrayList<>();
        for (int i = 0; i < WINDOW; i++) {
            RequestPdu write = initiator.command(Cdbs.write10(i, 1), FLAG_FINAL | FLAG_WRITE, 512, new byte[0]);
            initiator.send(write);
            writes.add(write);
            r2ts.add(initiator.receive());
            assertEquals(expCmdSn + i + 1, r2ts.get(i).bhs().expCmdSn());
            assertEquals(expCmdSn + WINDOW - 1, r2ts.get(i).bhs().maxCmdSn(), "MaxCmdSN stays while commands run");
        }
        RequestPdu overflow = initiator.command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]);
        initiator.send(overflow);
        assertTrue(initiator.drain().isEmpty(), "a command beyond MaxCmdSN is dropped");

        initiator.sendBurst(writes.get(0).bhs().initiatorTaskTag(), r2ts.get(0).bhs().targetTransferTag(),
                new byte[512], 0, 512, 512);
        ResponsePdu status = initiator.receive();
        assertEquals(Opcode.SCSI_RESPONSE, status.opcode());
        assertEquals(expCmdSn + WINDOW, status.bhs().maxCmdSn(), "one command finished, one more may come");

        initiator.send(overflow); // retried now that it fits
        assertEquals(overflow.bhs().initiatorTaskTag(), initiator.receive().itt());
    }

    /** An immediate NOP-Out: its NOP-In reports the current ExpCmdSN and MaxCmdSN without consuming a CmdSN. */
    private static ResponsePdu ping(TestInitiator initiator) {
        initiator.send(initiator.nopOut(new byte[0]));
        ResponsePdu nopIn = initiator.receive();
        assertEquals(Opcode.NOP_IN, nopIn.opcode());
        return nopIn;
    }
}
