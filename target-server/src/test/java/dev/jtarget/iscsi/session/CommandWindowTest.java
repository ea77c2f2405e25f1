package dev.jtarget.iscsi.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.iscsi.pdu.Pdu;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandWindowTest {

    private static Pdu command(int cmdSn, boolean immediate) {
        Bhs bhs = Bhs.forOpcode(Opcode.SCSI_COMMAND);
        bhs.setCmdSn(cmdSn);
        bhs.setImmediate(immediate);
        return new Pdu(bhs);
    }

    private static List<Integer> cmdSns(List<Pdu> pdus) {
        List<Integer> sns = pdus.stream().map(p -> p.bhs().cmdSn()).toList();
        pdus.forEach(Pdu::release);
        return sns;
    }

    @Test
    void inOrderCommandsAreDeliveredAndAdvanceExpCmdSn() {
        CommandWindow window = new CommandWindow(10, 4);
        assertEquals(List.of(10), cmdSns(window.accept(command(10, false))));
        assertEquals(List.of(11), cmdSns(window.accept(command(11, false))));
        assertEquals(12, window.expCmdSn());
    }

    @Test
    void aCommandAheadOfAGapWaitsUntilTheGapIsFilled() {
        CommandWindow window = new CommandWindow(1, 8);
        assertEquals(List.of(), cmdSns(window.accept(command(3, false))));
        assertEquals(List.of(), cmdSns(window.accept(command(2, false))));
        assertEquals(List.of(1, 2, 3), cmdSns(window.accept(command(1, false))));
        assertEquals(4, window.expCmdSn());
    }

    @Test
    void commandsOutsideTheWindowAreDropped() {
        CommandWindow window = new CommandWindow(5, 2); // accepts 5 and 6
        assertEquals(List.of(), cmdSns(window.accept(command(4, false))));
        assertEquals(List.of(), cmdSns(window.accept(command(7, false))));
        assertEquals(5, window.expCmdSn());
    }

    @Test
    void immediateCommandsAreDeliveredAtOnceWithoutAdvancing() {
        CommandWindow window = new CommandWindow(5, 2);
        assertEquals(List.of(99), cmdSns(window.accept(command(99, true))));
        assertEquals(5, window.expCmdSn());
    }

    @Test
    void aCancelledCmdSnCountsAsReceivedAndItsCommandIsDiscardedWhenItArrives() {
        CommandWindow window = new CommandWindow(5, 8);
        assertEquals(List.of(), window.cancel(5, 6), "RFC 7143 §11.5.1 b): in the window, below the abort's CmdSN");
        assertEquals(6, window.expCmdSn(), "the window does not wait for the cancelled command");

        Pdu late = command(5, false);
        assertEquals(List.of(), cmdSns(window.accept(late)));
        assertEquals(0, late.refCnt(), "the discarded command is released");
        assertEquals(List.of(6), cmdSns(window.accept(command(6, false))));
    }

    @Test
    void cancellingTheCmdSnOfAGapDeliversWhatWaitedBehindItAndDiscardsTheCancelledOne() {
        CommandWindow window = new CommandWindow(1, 8);
        assertEquals(List.of(), cmdSns(window.accept(command(3, false))));
        assertEquals(List.of(), window.cancel(2, 4), "2 is ahead of the gap at 1: nothing moves yet");
        assertEquals(List.of(), cmdSns(window.accept(command(2, false))), "the cancelled command is discarded");
        assertEquals(List.of(1, 3), cmdSns(window.accept(command(1, false))));
        assertEquals(4, window.expCmdSn());

        CommandWindow gapped = new CommandWindow(1, 8);
        assertEquals(List.of(), cmdSns(gapped.accept(command(2, false))));
        assertEquals(List.of(2), cmdSns(gapped.cancel(1, 3)), "cancelling the gap releases what waited behind it");
        assertEquals(3, gapped.expCmdSn());
    }

    @Test
    void aCmdSnOutsideTheWindowOrNotBelowTheAbortIsNotCancelled() {
        CommandWindow window = new CommandWindow(5, 2); // accepts 5 and 6
        assertEquals(null, window.cancel(4, 5), "already received: the task has completed (case c)");
        assertEquals(null, window.cancel(7, 8), "beyond MaxCmdSN");
        assertEquals(null, window.cancel(5, 5), "the abort's own CmdSN: an immediate command, not a numbered one");
        assertEquals(5, window.expCmdSn());
        assertEquals(List.of(5), cmdSns(window.accept(command(5, false))));
    }

    @Test
    void maxCmdSnOpensOnlyAsActiveTasksFinish() {
        CommandWindow window = new CommandWindow(0, 2);
        assertEquals(1, window.maxCmdSn());
        cmdSns(window.accept(command(0, false)));
        window.taskStarted();
        cmdSns(window.accept(command(1, false)));
        window.taskStarted();
        window.recompute();
        assertEquals(1, window.maxCmdSn(), "two active tasks fill a window of two");
        window.taskFinished();
        assertEquals(2, window.maxCmdSn());
        window.taskFinished();
        assertEquals(3, window.maxCmdSn());
    }

    @Test
    void sequenceNumbersWrapAround() {
        CommandWindow window = new CommandWindow(-1, 4); // 0xffffffff
        assertEquals(List.of(-1), cmdSns(window.accept(command(-1, false))));
        assertEquals(List.of(0), cmdSns(window.accept(command(0, false))));
        assertTrue(SerialNumbers.lessThan(-1, 0));
        assertEquals(1, window.expCmdSn());
    }
}
