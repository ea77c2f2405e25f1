package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CompareAndWriteTest {
    private final LogicalUnit lun = Luns.memoryLun(0);
    private final ScsiTarget target = Luns.target(lun);
    private final Initiator initiator = new Initiator(target, NEXUS_A);

    private static byte[] filled(int blocks, char c) {
        byte[] b = new byte[blocks * BLOCK_SIZE];
        Arrays.fill(b, (byte) c);
        return b;
    }

    private static byte[] concat(byte[] verify, byte[] write) {
        byte[] b = Arrays.copyOf(verify, verify.length + write.length);
        System.arraycopy(write, 0, b, verify.length, write.length);
        return b;
    }

    @Test
    void matchingDataIsReplaced() {
        assertGood(initiator.write(0, Cdbs.write10(5, 2), filled(2, 'A')));
        assertGood(initiator.write(0, Cdbs.compareAndWrite(5, 2), concat(filled(2, 'A'), filled(2, 'B'))));
        assertArrayEquals(filled(2, 'B'), initiator.read(0, Cdbs.read10(5, 2), 2 * BLOCK_SIZE).data());
    }

    @Test
    void aMiscompareLeavesTheBlocksAndReportsTheOffset() {
        assertGood(initiator.write(0, Cdbs.write10(5, 2), filled(2, 'A')));
        byte[] verify = filled(2, 'A');
        verify[2 * BLOCK_SIZE - 27] = 'C';
        Reply reply = initiator.write(0, Cdbs.compareAndWrite(5, 2), concat(verify, filled(2, 'B')));
        assertSense(reply, Sense.MISCOMPARE, 0x1D, 0x00);
        assertEquals(2 * BLOCK_SIZE - 27, reply.information());
        assertArrayEquals(filled(2, 'A'), initiator.read(0, Cdbs.read10(5, 2), 2 * BLOCK_SIZE).data());
    }

    @Test
    void zeroBlocksIsGoodAndProtectionIsAnInvalidField() {
        assertGood(initiator.command(0, Cdbs.compareAndWrite(5, 0)));
        byte[] cdb = Cdbs.compareAndWrite(5, 1);
        cdb[1] = 0x20;
        assertInvalidField(initiator.write(0, cdb, new byte[2 * BLOCK_SIZE]), 1, 7);
    }

    @Test
    void dataOutThatIsNotTwiceTheBlocksIsRefusedAndWritesNothing() {
        assertGood(initiator.write(0, Cdbs.write10(5, 1), filled(1, 'A')));
        byte[] tooLong = concat(filled(2, 'A'), filled(2, 'B'));
        assertInvalidField(initiator.write(0, Cdbs.compareAndWrite(5, 1), tooLong), 13, -1);
        assertInvalidField(initiator.write(0, Cdbs.compareAndWrite(5, 0), tooLong), 13, -1);
        assertInvalidField(initiator.write(0, Cdbs.compareAndWrite(5, 1), filled(1, 'A')), 13, -1);
        assertArrayEquals(filled(1, 'A'), initiator.read(0, Cdbs.read10(5, 1), BLOCK_SIZE).data());
    }

    @Test
    void beyondTheEndIsOutOfRange() {
        assertSense(initiator.write(0, Cdbs.compareAndWrite(Luns.BLOCKS - 1, 2), new byte[4 * BLOCK_SIZE]),
                Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void aWriteToTheSameBlocksWaitsUntilTheCompareAndWriteIsDone() {
        assertGood(initiator.write(0, Cdbs.write10(5, 1), filled(1, 'A')));
        // Another writer holds the blocks; both commands queue behind it, in arrival order.
        LbaRangeLocks.Lease held = lun.rangeLocks().acquire(5, 1).join();
        Initiator.Pending compareAndWrite = initiator.start(0, Cdbs.compareAndWrite(5, 1), DataDirection.WRITE,
                2 * BLOCK_SIZE, concat(filled(1, 'A'), filled(1, 'B')));
        Initiator.Pending write = new Initiator(target, NEXUS_B).start(0, Cdbs.write10(5, 1), DataDirection.WRITE,
                BLOCK_SIZE, filled(1, 'C'));
        assertFalse(compareAndWrite.future().isDone());
        assertFalse(write.future().isDone());

        held.release();
        assertGood(Initiator.complete(compareAndWrite));
        assertGood(Initiator.complete(write));
        assertArrayEquals(filled(1, 'C'), initiator.read(0, Cdbs.read10(5, 1), BLOCK_SIZE).data(),
                "the later write ran after the compare-and-write, not between its read and write");
    }
}
