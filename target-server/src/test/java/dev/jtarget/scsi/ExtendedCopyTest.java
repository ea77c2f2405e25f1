package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.backend.memory.MemoryBackend;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ExtendedCopyTest {
    private static final int NOT_HELD = 0b10;
    private static final int HELD = 0b00;
    private static final long BIG_BLOCKS = 8192; // 4 MiB: copies of more than one 1 MiB chunk

    private final LogicalUnit big = Luns.lun(0, new MemoryBackend(BIG_BLOCKS * BLOCK_SIZE, BLOCK_SIZE), true, false);
    private final LogicalUnit other = Luns.memoryLun(1);
    private final LogicalUnit readOnly = Luns.lun(2, new MemoryBackend(Luns.BLOCKS * BLOCK_SIZE, BLOCK_SIZE), true,
            true);
    private final ScsiTarget target = Luns.target(big, other, readOnly);
    private final Initiator initiator = new Initiator(target, NEXUS_A);

    @AfterEach
    void close() {
        target.close();
    }

    private byte[] read(int lun, long lba, int blocks) {
        return initiator.read(lun, Cdbs.read16(lba, blocks), blocks * BLOCK_SIZE).data();
    }

    private Reply copy(byte[] list) {
        return initiator.write(0, Cdbs.extendedCopy(list.length), list);
    }

    @Test
    void copiesBetweenLogicalUnitsOfTheTarget() {
        byte[] data = Luns.pattern(16 * BLOCK_SIZE, 5);
        assertGood(initiator.write(0, Cdbs.write16(100, 16), data));
        assertGood(copy(new CopyList(1, NOT_HELD).target(big).target(other)
                .blockToBlock(0, 1, 16, 100, 7).build()));
        assertArrayEquals(data, read(1, 7, 16));
    }

    @Test
    void anOverlappingCopyForwardOnOneUnitReadsEveryChunkBeforeOverwritingIt() {
        byte[] data = Luns.pattern(4096 * BLOCK_SIZE, 9); // two chunks
        assertGood(initiator.write(0, Cdbs.write16(0, 2048), Arrays.copyOf(data, 2048 * BLOCK_SIZE)));
        assertGood(initiator.write(0, Cdbs.write16(2048, 2048),
                Arrays.copyOfRange(data, 2048 * BLOCK_SIZE, 4096 * BLOCK_SIZE)));
        assertGood(copy(new CopyList(1, NOT_HELD).target(big).blockToBlock(0, 0, 4096, 0, 1000).build()));
        byte[] copied = new byte[data.length];
        System.arraycopy(read(0, 1000, 2048), 0, copied, 0, 2048 * BLOCK_SIZE);
        System.arraycopy(read(0, 3048, 2048), 0, copied, 2048 * BLOCK_SIZE, 2048 * BLOCK_SIZE);
        assertArrayEquals(data, copied);
    }

    @Test
    void anEmptyParameterListCopiesNothingAndTruncatedListsAreLengthErrors() {
        assertGood(initiator.command(0, Cdbs.extendedCopy(0)));
        byte[] list = new CopyList(1, NOT_HELD).target(big).blockToBlock(0, 0, 1, 0, 1).build();
        assertSense(initiator.write(0, Cdbs.extendedCopy(list.length - 1), Arrays.copyOf(list, list.length - 1)),
                Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
        assertSense(initiator.write(0, Cdbs.extendedCopy(15), new byte[15]), Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
    }

    @Test
    void descriptorCountsAndTypesBeyondWhatIsSupportedAreRefused() {
        CopyList nineTargets = new CopyList(1, NOT_HELD);
        for (int i = 0; i < 9; i++) {
            nineTargets.target(big);
        }
        assertSense(copy(nineTargets.blockToBlock(0, 0, 1, 0, 1).build()), Sense.ILLEGAL_REQUEST, 0x26, 0x06);

        CopyList seventeenSegments = new CopyList(1, NOT_HELD).target(big);
        for (int i = 0; i < 17; i++) {
            seventeenSegments.blockToBlock(0, 0, 1, 0, 1);
        }
        assertSense(copy(seventeenSegments.build()), Sense.ILLEGAL_REQUEST, 0x26, 0x08);

        byte[] fibreChannel = new byte[32];
        fibreChannel[0] = (byte) 0xE0;
        assertSense(copy(new CopyList(1, NOT_HELD).rawTarget(fibreChannel).blockToBlock(0, 0, 1, 0, 1).build()),
                Sense.ILLEGAL_REQUEST, 0x26, 0x07);
        byte[] streamToStream = new byte[20];
        streamToStream[0] = 0x03;
        streamToStream[3] = 16;
        assertSense(copy(new CopyList(1, NOT_HELD).target(big).rawSegment(streamToStream).build()),
                Sense.ILLEGAL_REQUEST, 0x26, 0x09);
    }

    @Test
    void unreachableTargetsOutOfRangeSegmentsAndReadOnlyDestinationsAbortTheCopy() {
        assertSense(copy(new CopyList(1, NOT_HELD).target(big).blockToBlock(0, 1, 1, 0, 1).build()),
                Sense.COPY_ABORTED, 0x0D, 0x02);
        assertSense(copy(new CopyList(1, NOT_HELD).target(0x3123_4567_89AB_CDEFL, BLOCK_SIZE)
                .blockToBlock(0, 0, 1, 0, 1).build()), Sense.COPY_ABORTED, 0x0D, 0x02);
        assertSense(copy(new CopyList(1, NOT_HELD).target(big).target(other)
                .blockToBlock(0, 1, 2, 0, Luns.BLOCKS - 1).build()), Sense.COPY_ABORTED, 0x00, 0x00);
        assertSense(copy(new CopyList(1, NOT_HELD).target(big).target(readOnly).blockToBlock(0, 1, 1, 0, 0).build()),
                Sense.COPY_ABORTED, 0x27, 0x00);
    }

    @Test
    void aDestinationReservedByAnotherNexusIsAReservationConflict() {
        assertGood(new Initiator(target, NEXUS_B).command(1, Cdbs.cdb(0x16, 0, 0, 0, 0, 0)));
        Reply reply = copy(new CopyList(1, NOT_HELD).target(big).target(other).blockToBlock(0, 1, 1, 0, 0).build());
        assertEquals(ScsiResponse.RESERVATION_CONFLICT, reply.status());
    }

    @Test
    void copyStatusIsHeldOnlyWhenAskedForAndReadOnce() {
        byte[] noCopy = Cdbs.receiveCopyResults(0, 7, 64);
        assertInvalidField(initiator.read(0, noCopy, 64), 2, -1);
        assertGood(copy(new CopyList(7, NOT_HELD).target(big).blockToBlock(0, 0, 4, 0, 10).build()));
        assertInvalidField(initiator.read(0, noCopy, 64), 2, -1);

        assertGood(copy(new CopyList(7, HELD).target(big).blockToBlock(0, 0, 4, 0, 10)
                .blockToBlock(0, 0, 2, 0, 20).build()));
        byte[] status = initiator.read(0, noCopy, 64).data();
        assertEquals(12, status.length);
        assertEquals(8, Cdb.u32(status, 0));
        assertEquals(0x01, status[4], "completed without errors");
        assertEquals(2, Cdb.u16(status, 5), "segments processed");
        assertEquals(0x00, status[7], "transfer count in bytes");
        assertEquals(6 * BLOCK_SIZE, Cdb.u32(status, 8));
        assertInvalidField(initiator.read(0, noCopy, 64), 2, -1);

        assertSense(copy(new CopyList(7, HELD).target(big).blockToBlock(0, 1, 1, 0, 0).build()),
                Sense.COPY_ABORTED, 0x0D, 0x02);
        assertEquals(0x02, initiator.read(0, noCopy, 64).data()[4], "completed with errors");
    }

    @Test
    void operatingParametersStateTheLimitsAndDescriptorTypes() {
        byte[] d = initiator.read(0, Cdbs.receiveCopyResults(3, 0, 64), 64).data();
        assertEquals(d.length - 4, Cdb.u32(d, 0));
        assertEquals(CopyParameters.MAX_TARGET_DESCRIPTORS, Cdb.u16(d, 8));
        assertEquals(CopyParameters.MAX_SEGMENT_DESCRIPTORS, Cdb.u16(d, 10));
        assertEquals(CopyParameters.MAX_DESCRIPTOR_LIST_LENGTH, Cdb.u32(d, 12));
        assertEquals(0, Cdb.u32(d, 20), "no inline data");
        assertEquals(9, d[37], "whole 512-byte blocks");
        assertEquals(2, d[43]);
        assertEquals(0x02, d[44] & 0xFF);
        assertEquals(0xE4, d[45] & 0xFF);
    }

    @Test
    void standardInquiryAnnouncesThirdPartyCopy() {
        assertEquals(0x08, initiator.read(0, Cdbs.inquiry(false, 0, 96), 96).data()[5] & 0x08);
    }
}
