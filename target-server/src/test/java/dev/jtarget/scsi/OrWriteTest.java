package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCKS;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

class OrWriteTest {
    private final LogicalUnit lun = Luns.memoryLun(0);
    private final ScsiTarget target = Luns.target(lun);
    private final Initiator initiator = new Initiator(target, NEXUS_A);

    @Test
    void eachBlockBecomesTheOrOfWhatItHeldAndTheData() {
        assertGood(initiator.write(0, Cdbs.write10(3, 2), Luns.filled(2, 0xA5)));
        assertGood(initiator.write(0, Cdbs.orWrite(3, 2), Luns.filled(2, 0x5A)));
        assertArrayEquals(Luns.filled(2, 0xFF), initiator.read(0, Cdbs.read10(3, 2), 2 * BLOCK_SIZE).data());
        assertArrayEquals(Luns.filled(1, 0), initiator.read(0, Cdbs.read10(5, 1), BLOCK_SIZE).data());
    }

    @Test
    void zeroBlocksIsGoodAndTheRangeAndProtectionAreChecked() {
        assertGood(initiator.command(0, Cdbs.orWrite(0, 0)));
        assertSense(initiator.command(0, Cdbs.orWrite(BLOCKS + 1, 0)), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
        assertSense(initiator.write(0, Cdbs.orWrite(BLOCKS - 1, 2), Luns.filled(2, 1)), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
        byte[] protect = Cdbs.orWrite(0, 1);
        protect[1] = 0x20;
        assertInvalidField(initiator.write(0, protect, Luns.filled(1, 1)), 1, 7);
    }

    @Test
    void aReadOnlyUnitRefusesIt() {
        Initiator readOnly = new Initiator(Luns.target(Luns.lun(0, new RecordingBackend(), true, true)), NEXUS_A);
        assertSense(readOnly.write(0, Cdbs.orWrite(0, 1), Luns.filled(1, 1)), Sense.DATA_PROTECT, 0x27, 0x00);
    }

    @Test
    void anotherWriteToTheBlocksWaitsForTheReadModifyWrite() {
        LbaRangeLocks.Lease held = lun.rangeLocks().acquire(8, 1).join();
        Initiator.Pending orWrite = initiator.start(0, Cdbs.orWrite(8, 1), DataDirection.WRITE, BLOCK_SIZE,
                Luns.filled(1, 0x0F));
        Initiator.Pending write = new Initiator(target, NEXUS_B).start(0, Cdbs.write10(8, 1), DataDirection.WRITE,
                BLOCK_SIZE, Luns.filled(1, 0x30));
        assertFalse(orWrite.future().isDone());
        held.release();
        assertGood(Initiator.complete(orWrite));
        assertGood(Initiator.complete(write));
        assertArrayEquals(Luns.filled(1, 0x30), initiator.read(0, Cdbs.read10(8, 1), BLOCK_SIZE).data(),
                "the write came after the ORWRITE, whole");
    }

    @Test
    void fuaMakesItDurable() {
        RecordingBackend backend = new RecordingBackend();
        Initiator recorded = new Initiator(Luns.target(Luns.lun(0, backend, true, false)), NEXUS_A);
        byte[] fua = Cdbs.orWrite(0, 1);
        fua[1] = 0x08;
        assertGood(recorded.write(0, fua, Luns.filled(1, 1)));
        assertEquals(List.of("read 0+512", "write 0+512 fua=true"), backend.calls);
    }
}
