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
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WriteAtomicTest {
    /** ATOMIC ALIGNMENT and ATOMIC TRANSFER LENGTH GRANULARITY: a 4 KiB page of 512-byte blocks. */
    private static final int PAGE = 8;

    private final LogicalUnit lun = Luns.memoryLun(0);
    private final ScsiTarget target = Luns.target(lun);
    private final Initiator initiator = new Initiator(target, NEXUS_A);

    @Test
    void writesTheBlocks() {
        byte[] data = Luns.pattern(2 * PAGE * BLOCK_SIZE, 3);
        assertGood(initiator.write(0, Cdbs.writeAtomic16(PAGE, 2 * PAGE), data));
        assertArrayEquals(data, initiator.read(0, Cdbs.read10(PAGE, 2 * PAGE), data.length).data());
        assertGood(initiator.write(0, Cdbs.writeAtomic16(BLOCKS - PAGE, PAGE), Luns.filled(PAGE, 7)));
    }

    @Test
    void zeroBlocksIsGoodButTheLbaIsStillChecked() {
        assertGood(initiator.command(0, Cdbs.writeAtomic16(0, 0)));
        assertGood(initiator.command(0, Cdbs.writeAtomic16(BLOCKS, 0)));
        assertSense(initiator.command(0, Cdbs.writeAtomic16(BLOCKS + PAGE, 0)), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void lbaPlusLengthPastTheEndOrOverflowingIsOutOfRange() {
        assertSense(initiator.write(0, Cdbs.writeAtomic16(BLOCKS - PAGE, 2 * PAGE), Luns.filled(2 * PAGE, 1)),
                Sense.ILLEGAL_REQUEST, 0x21, 0x00);
        assertSense(initiator.write(0, Cdbs.writeAtomic16(-PAGE, PAGE), Luns.filled(PAGE, 1)),
                Sense.ILLEGAL_REQUEST, 0x21, 0x00);
        assertSense(initiator.write(0, Cdbs.writeAtomic16(Long.MIN_VALUE, PAGE), Luns.filled(PAGE, 1)),
                Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    }

    @Test
    void aMisalignedLbaOrALengthOffTheGranularityIsRefusedAndWritesNothing() {
        assertInvalidField(initiator.write(0, Cdbs.writeAtomic16(1, PAGE), Luns.filled(PAGE, 9)), 2, -1);
        assertInvalidField(initiator.write(0, Cdbs.writeAtomic16(0, 1), Luns.filled(1, 9)), 12, -1);
        assertInvalidField(initiator.write(0, Cdbs.writeAtomic16(0, PAGE + 1), Luns.filled(PAGE + 1, 9)), 12, -1);
        assertArrayEquals(Luns.filled(PAGE + 1, 0), initiator.read(0, Cdbs.read10(0, PAGE + 1), (PAGE + 1) * BLOCK_SIZE)
                .data());
    }

    @Test
    void moreThanTheMaximumAtomicTransferLengthIsRefused() {
        int tooMany = (int) lun.limits().maxAtomicTransferBlocks() + PAGE;
        assertInvalidField(initiator.command(0, Cdbs.writeAtomic16(0, tooMany)), 12, -1);
    }

    @Test
    void anAtomicBoundaryAndProtectionAreRefused() {
        byte[] boundary = Cdbs.writeAtomic16(0, PAGE);
        boundary[11] = 1;
        assertInvalidField(initiator.write(0, boundary, Luns.filled(PAGE, 1)), 11, 0);
        byte[] protect = Cdbs.writeAtomic16(0, PAGE);
        protect[1] = 0x20;
        assertInvalidField(initiator.write(0, protect, Luns.filled(PAGE, 1)), 1, 7);
    }

    @Test
    void lessDataOutThanTheCdbAsksForWritesNothing() {
        Reply reply = initiator.send(0, Cdbs.writeAtomic16(0, 2 * PAGE), DataDirection.WRITE, PAGE * BLOCK_SIZE,
                Luns.filled(PAGE, 5));
        assertSense(reply, Sense.ILLEGAL_REQUEST, 0x0E, 0x03);
        assertArrayEquals(Luns.filled(PAGE, 0), initiator.read(0, Cdbs.read10(0, PAGE), PAGE * BLOCK_SIZE).data());
    }

    @Test
    void aReadOnlyUnitRefusesIt() {
        Initiator readOnly = new Initiator(Luns.target(Luns.lun(0, new RecordingBackend(), true, true)), NEXUS_A);
        assertSense(readOnly.write(0, Cdbs.writeAtomic16(0, PAGE), Luns.filled(PAGE, 1)), Sense.DATA_PROTECT, 0x27, 0x00);
    }

    @Test
    void aReadOfTheBlocksWaitsUntilTheAtomicWriteIsWhole() {
        LbaRangeLocks.Lease held = lun.rangeLocks().acquire(0, 1).join();
        Initiator.Pending atomic = initiator.start(0, Cdbs.writeAtomic16(0, PAGE), DataDirection.WRITE,
                PAGE * BLOCK_SIZE, Luns.filled(PAGE, 0x3C));
        Initiator.Pending read = new Initiator(target, NEXUS_B).start(0, Cdbs.read10(4, 2), DataDirection.READ,
                2 * BLOCK_SIZE, null);
        assertFalse(atomic.future().isDone());
        assertFalse(read.future().isDone(), "a read overlapping a pending atomic write waits for it");
        held.release();
        assertGood(Initiator.complete(atomic));
        assertArrayEquals(Luns.filled(2, 0x3C), Initiator.complete(read).data());
    }

    @Test
    void readsOfOtherBlocksAndOrdinaryWritesDoNotWaitForReads() {
        LbaRangeLocks.Lease reading = lun.rangeLocks().acquire(0, PAGE, LbaRangeLocks.Mode.READ).join();
        assertTrue(initiator.start(0, Cdbs.write10(0, 1), DataDirection.WRITE, BLOCK_SIZE, Luns.filled(1, 1))
                .future().isDone(), "an ordinary write does not wait for a read");
        Initiator.Pending atomic = initiator.start(0, Cdbs.writeAtomic16(0, PAGE), DataDirection.WRITE,
                PAGE * BLOCK_SIZE, Luns.filled(PAGE, 2));
        assertFalse(atomic.future().isDone(), "an atomic write waits for the read");
        assertGood(initiator.read(0, Cdbs.read10(PAGE, 1), BLOCK_SIZE));
        reading.release();
        assertGood(Initiator.complete(atomic));
    }

    @Test
    void reportSupportedOperationCodesShowsDpoFuaAndNoAtomicBoundary() {
        Reply reply = initiator.read(0, Cdbs.reportSupportedOperationCodes(1, 0x9C, 0, 64), 64);
        assertGood(reply);
        byte[] d = reply.data();
        assertEquals(0x03, d[1] & 0x07, "supported as the standard says");
        assertArrayEquals(new byte[] {(byte) 0x9C, (byte) 0xF8, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, -1, -1, 0x1F, 0},
                Arrays.copyOfRange(d, 4, 20));
    }

    @Test
    void fuaMakesItDurable() {
        RecordingBackend backend = new RecordingBackend();
        Initiator recorded = new Initiator(Luns.target(Luns.lun(0, backend, true, false)), NEXUS_A);
        byte[] fua = Cdbs.writeAtomic16(0, PAGE);
        fua[1] = 0x18; // DPO and FUA
        assertGood(recorded.write(0, fua, Luns.filled(PAGE, 1)));
        assertEquals(List.of("write 0+4096 fua=true"), backend.calls);
    }
}
