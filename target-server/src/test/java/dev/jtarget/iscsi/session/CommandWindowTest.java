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
