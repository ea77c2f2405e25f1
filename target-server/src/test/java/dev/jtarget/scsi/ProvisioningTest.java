package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCKS;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.memory.MemoryBackend;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** UNMAP, WRITE SAME and GET LBA STATUS. */
class ProvisioningTest {
    private final RecordingBackend backend = new RecordingBackend();
    private final Initiator initiator = new Initiator(Luns.target(Luns.lun(0, backend, true, false)), NEXUS_A);

    private static byte[] unmapList(long... lbaAndBlocks) {
        int count = lbaAndBlocks.length / 2;
        byte[] list = new byte[8 + 16 * count];
        Cdb.put16(list, 0, list.length - 2);
        Cdb.put16(list, 2, 16 * count);
        for (int i = 0; i < count; i++) {
            Cdb.put64(list, 8 + 16 * i, lbaAndBlocks[2 * i]);
            Cdb.put32(list, 16 + 16 * i, lbaAndBlocks[2 * i + 1]);
        }
        return list;
    }

    private void fill(long lba, int blocks) {
        assertGood(initiator.write(0, Cdbs.write10(lba, blocks), Luns.pattern(blocks * BLOCK_SIZE, 1)));
        backend.calls.clear();
    }

    private byte[] read(long lba, int blocks) {
        return initiator.read(0, Cdbs.read10(lba, blocks), blocks * BLOCK_SIZE).data();
    }

    @Test
    void unmapDiscardsEveryDescribedRangeAndTheyReadZero() {
        fill(0, 16);
        assertGood(initiator.write(0, Cdbs.unmap(40), unmapList(2, 2, 8, 4)));
        assertEquals(List.of("discard 1024+1024", "discard 4096+2048"), backend.calls);
        assertArrayEquals(new byte[2 * BLOCK_SIZE], read(2, 2));
        assertFalse(Arrays.equals(new byte[BLOCK_SIZE], read(4, 1)), "blocks between stay");
    }

    @Test
    void unmapWithAnOutOfRangeDescriptorChangesNothing() {
        assertSense(initiator.write(0, Cdbs.unmap(40), unmapList(0, 1, BLOCKS - 1, 2)), Sense.ILLEGAL_REQUEST,
                0x21, 0x00);
        assertEquals(List.of(), backend.calls);
    }

    @Test
    void unmapWithAnEmptyListOrNoDescriptorsIsGood() {
        assertGood(initiator.command(0, Cdbs.unmap(0)));
        assertGood(initiator.write(0, Cdbs.unmap(8), unmapList()));
        assertEquals(List.of(), backend.calls);
    }

    @Test
    void unmapParameterListShorterThanItsHeaderIsALengthError() {
        assertSense(initiator.write(0, Cdbs.unmap(4), new byte[4]), Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
    }

    @Test
    void unmapDescriptorLengthBeyondTheListIsAnInvalidParameter() {
        byte[] list = unmapList(0, 1);
        Cdb.put16(list, 2, 32);
        Reply reply = initiator.write(0, Cdbs.unmap(list.length), list);
        assertSense(reply, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(2, reply.fieldPointer());
    }

    @Test
    void unmapWithTheAnchorBitIsRejected() {
        byte[] cdb = Cdbs.unmap(24);
        cdb[1] = 0x01;
        assertInvalidField(initiator.write(0, cdb, unmapList(0, 1)), 1, 0);
    }

    @Test
    void unmapDoesNotExistWhenTheBackendCannotDiscard() {
        RecordingBackend thick = new RecordingBackend(BLOCKS * BLOCK_SIZE, BLOCK_SIZE,
                new BackendCapabilities(false, false, false, false));
        Initiator toThick = new Initiator(Luns.target(Luns.lun(0, thick, true, false)), NEXUS_A);
        assertSense(toThick.write(0, Cdbs.unmap(24), unmapList(0, 1)), Sense.ILLEGAL_REQUEST, 0x20, 0x00);
    }

    @Test
    void unmapWithTheWriteCacheOffIsFlushed() {
        RecordingBackend durable = new RecordingBackend();
        Initiator writeThrough = new Initiator(Luns.target(Luns.lun(0, durable, false, false)), NEXUS_A);
        assertGood(writeThrough.write(0, Cdbs.unmap(24), unmapList(0, 1)));
        assertEquals(List.of("discard 0+512", "flush"), durable.calls);
    }

    @Test
    void writeSameRepeatsTheBlockOverTheRange() {
        byte[] block = Luns.pattern(BLOCK_SIZE, 7);
        assertGood(initiator.write(0, Cdbs.writeSame16(100, 3, false, false), block));
        byte[] data = read(100, 3);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(block, Arrays.copyOfRange(data, i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
        }
        assertEquals(List.of("write 51200+1536 fua=false"), backend.calls.subList(0, 1));
    }

    @Test
    void writeSameOfZerosWithUnmapDiscards() {
        fill(0, 4);
        assertGood(initiator.write(0, Cdbs.writeSame10(0, 4, true), new byte[BLOCK_SIZE]));
        assertEquals(List.of("discard 0+2048"), backend.calls);
        assertArrayEquals(new byte[4 * BLOCK_SIZE], read(0, 4));
    }

    @Test
    void writeSameOfZerosWithoutUnmapWritesZeroes() {
        fill(0, 4);
        assertGood(initiator.write(0, Cdbs.writeSame10(0, 4, false), new byte[BLOCK_SIZE]));
        assertEquals(List.of("writeZeroes 0+2048 fua=false"), backend.calls);
    }

    @Test
    void writeSameWithNdobNeedsNoDataOut() {
        fill(0, 4);
        Reply reply = initiator.command(0, Cdbs.writeSame16(0, 4, true, true));
        assertGood(reply);
        assertArrayEquals(new byte[4 * BLOCK_SIZE], read(0, 4));
    }

    @Test
    void writeSameOfZeroBlocksIsRefusedSinceWsnzIsSet() {
        assertInvalidField(initiator.write(0, Cdbs.writeSame16(0, 0, false, false), new byte[BLOCK_SIZE]), 10, -1);
    }

    @Test
    void writeSameLongerThanTheMaximumIsAnInvalidLength() {
        long blocks = 0x12000; // more than WRITE SAME may cover at once
        ScsiTarget bigTarget = Luns.target(Luns.lun(0, new MemoryBackend(blocks * BLOCK_SIZE, BLOCK_SIZE), true,
                false));
        try {
            Initiator big = new Initiator(bigTarget, NEXUS_A);
            assertInvalidField(big.write(0, Cdbs.writeSame16(0, 0x10000, true, false), new byte[BLOCK_SIZE]),
                    10, -1);
            assertGood(big.write(0, Cdbs.writeSame16(blocks - 0xFFFF, 0xFFFF, true, false), new byte[BLOCK_SIZE]));
        } finally {
            bigTarget.close();
        }
    }

    @Test
    void writeSameDataOutOtherThanOneBlockIsRefused() {
        assertSense(initiator.write(0, Cdbs.writeSame16(0, 1, false, false), new byte[BLOCK_SIZE / 2]),
                Sense.ILLEGAL_REQUEST, 0x0E, 0x03);
        assertSense(initiator.write(0, Cdbs.writeSame16(0, 1, false, false), new byte[2 * BLOCK_SIZE]),
                Sense.ILLEGAL_REQUEST, 0x0E, 0x03);
        assertSense(initiator.write(0, Cdbs.writeSame16(0, 1, true, true), new byte[BLOCK_SIZE]),
                Sense.ILLEGAL_REQUEST, 0x0E, 0x03);
    }

    @Test
    void writeSameBeyondTheEndOrWithObsoleteBitsIsRejected() {
        assertSense(initiator.write(0, Cdbs.writeSame16(BLOCKS - 1, 2, false, false), new byte[BLOCK_SIZE]),
                Sense.ILLEGAL_REQUEST, 0x21, 0x00);
        byte[] lbdata = Cdbs.writeSame10(0, 1, false);
        lbdata[1] |= 0x02;
        assertInvalidField(initiator.write(0, lbdata, new byte[BLOCK_SIZE]), 1, 1);
    }

    @Test
    void getLbaStatusReportsOneMappedExtentToTheEnd() {
        Reply reply = initiator.read(0, Cdbs.getLbaStatus(10, 64), 64);
        assertGood(reply);
        byte[] d = reply.data();
        assertEquals(24, d.length);
        assertEquals(20, Cdb.u32(d, 0));
        assertEquals(10, Cdb.u64(d, 8));
        assertEquals(BLOCKS - 10, Cdb.u32(d, 16));
        assertEquals(0, d[20] & 0x0F);
        assertSense(initiator.read(0, Cdbs.getLbaStatus(BLOCKS, 64), 64), Sense.ILLEGAL_REQUEST, 0x21, 0x00);
    }
}
