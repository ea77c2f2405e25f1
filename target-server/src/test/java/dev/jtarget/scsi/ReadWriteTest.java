package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCKS;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.backend.memory.MemoryBackend;
import dev.jtarget.scsi.ScsiResponse.Residual;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReadWriteTest {
    private final Initiator initiator = new Initiator(Luns.target(), NEXUS_A);

    private byte[] readBlocks(long lba, int blocks) {
        Reply reply = initiator.read(0, Cdbs.read16(lba, blocks), blocks * BLOCK_SIZE);
        assertGood(reply);
        return reply.data();
    }

    @Test
    void write10ThenRead10ReturnsTheSameBytes() {
        byte[] data = Luns.pattern(4 * BLOCK_SIZE, 1);
        Reply written = initiator.write(0, Cdbs.write10(100, 4), data);
        assertGood(written);
        assertEquals(Residual.NONE, written.residual());

        Reply read = initiator.read(0, Cdbs.read10(100, 4), data.length);
        assertGood(read);
        assertArrayEquals(data, read.data());
        assertEquals(Residual.NONE, read.residual());
    }

    @Test
    void everyCdbSizeAddressesTheSameBlocks() {
        byte[] six = Luns.pattern(BLOCK_SIZE, 6);
        byte[] twelve = Luns.pattern(BLOCK_SIZE, 12);
        byte[] sixteen = Luns.pattern(BLOCK_SIZE, 16);
        assertGood(initiator.write(0, Cdbs.write6(10, 1), six));
        assertGood(initiator.write(0, Cdbs.write12(11, 1), twelve));
        assertGood(initiator.write(0, Cdbs.write16(12, 1), sixteen));

        assertArrayEquals(six, initiator.read(0, Cdbs.read6(10, 1), BLOCK_SIZE).data());
        assertArrayEquals(twelve, initiator.read(0, Cdbs.read12(11, 1), BLOCK_SIZE).data());
        assertArrayEquals(sixteen, initiator.read(0, Cdbs.read10(12, 1), BLOCK_SIZE).data());
    }

    @Test
    void read6WithTransferLengthZeroReads256Blocks() {
        Reply reply = initiator.read(0, Cdbs.read6(0, 0), 256 * BLOCK_SIZE);
        assertGood(reply);
        assertEquals(256 * BLOCK_SIZE, reply.data().length);
    }

    @Test
    void write6WithTransferLengthZeroWrites256Blocks() {
        byte[] data = Luns.pattern(256 * BLOCK_SIZE, 3);
        assertGood(initiator.write(0, Cdbs.write6(0, 0), data));
        assertArrayEquals(data, readBlocks(0, 256));
    }

    @Test
    void transferLengthZeroIn10To16ByteCdbsMovesNothingAndIsGood() {
        for (byte[] cdb : new byte[][] {Cdbs.read10(5, 0), Cdbs.read12(5, 0), Cdbs.read16(5, 0)}) {
            Reply reply = initiator.read(0, cdb, 0);
            assertGood(reply);
            assertEquals(0, reply.data().length);
            assertEquals(Residual.NONE, reply.residual());
        }
        for (byte[] cdb : new byte[][] {Cdbs.write10(5, 0), Cdbs.write12(5, 0), Cdbs.write16(5, 0)}) {
            assertGood(initiator.write(0, cdb, new byte[0]));
        }
    }

    @Test
    void lastBlockCanBeReadAndOneMoreIsOutOfRange() {
        assertEquals(BLOCK_SIZE, readBlocks(BLOCKS - 1, 1).length);
        assertSense(initiator.read(0, Cdbs.read10(BLOCKS - 1, 2), 2 * BLOCK_SIZE), Sense.ILLEGAL_REQUEST, 0x21, 0);
        assertSense(initiator.read(0, Cdbs.read10(BLOCKS + 1, 0), 0), Sense.ILLEGAL_REQUEST, 0x21, 0);
        assertSense(initiator.write(0, Cdbs.write10(BLOCKS, 1), new byte[BLOCK_SIZE]), Sense.ILLEGAL_REQUEST,
                0x21, 0);
    }

    @Test
    void lbaPlusLengthOverflowingSixtyFourBitsIsOutOfRange() {
        assertSense(initiator.read(0, Cdbs.read16(-1L, 1), BLOCK_SIZE), Sense.ILLEGAL_REQUEST, 0x21, 0);
        assertSense(initiator.read(0, Cdbs.read16(Long.MAX_VALUE, 2), 2 * BLOCK_SIZE), Sense.ILLEGAL_REQUEST,
                0x21, 0);
    }

    @Test
    void protectionInformationFieldsAreInvalidWithoutProtection() {
        byte[] read = Cdbs.read10(0, 1);
        read[1] = 0x20; // RDPROTECT=001b
        assertInvalidField(initiator.read(0, read, BLOCK_SIZE), 1, 7);
        byte[] write = Cdbs.write16(0, 1);
        write[1] = (byte) 0xE0; // WRPROTECT=111b
        assertInvalidField(initiator.write(0, write, new byte[BLOCK_SIZE]), 1, 7);
    }

    @Test
    void dpoFuaAndFuaNvAreAccepted() {
        byte[] read = Cdbs.read10(0, 1);
        read[1] = 0x1A; // DPO, FUA, FUA_NV
        assertGood(initiator.read(0, read, BLOCK_SIZE));
        byte[] write = Cdbs.write10(0, 1);
        write[1] = 0x1A;
        assertGood(initiator.write(0, write, new byte[BLOCK_SIZE]));
    }

    @Test
    void moreBlocksThanTheMaximumTransferLengthIsAnInvalidFieldAtTheLength() {
        long max = BlockLimits.MAX_TRANSFER_BYTES / BLOCK_SIZE;
        assertInvalidField(initiator.read(0, Cdbs.read16(0, max + 1), 0), 10, -1);
    }

    @Test
    void writesToAReadOnlyLunAreDataProtect() {
        LogicalUnit readOnly = Luns.lun(0, new MemoryBackend(BLOCKS * BLOCK_SIZE, BLOCK_SIZE), true, true);
        Initiator toReadOnly = new Initiator(Luns.target(readOnly), NEXUS_A);

        assertSense(toReadOnly.write(0, Cdbs.write10(0, 1), new byte[BLOCK_SIZE]), Sense.DATA_PROTECT, 0x27, 0);
        assertGood(toReadOnly.read(0, Cdbs.read10(0, 1), BLOCK_SIZE));
    }

    @Test
    void aFreshDiskReadsAsZeros() {
        assertArrayEquals(new byte[2 * BLOCK_SIZE], readBlocks(50, 2));
    }

    @Test
    void fourKilobyteBlocksAreAddressedInTheirOwnUnits() {
        LogicalUnit big = Luns.lun(0, new MemoryBackend(64 * 4096, 4096), true, false);
        Initiator to4k = new Initiator(Luns.target(big), NEXUS_A);
        byte[] data = Luns.pattern(4096, 9);
        assertGood(to4k.write(0, Cdbs.write10(63, 1), data));
        assertArrayEquals(data, to4k.read(0, Cdbs.read10(63, 1), 4096).data());
        assertSense(to4k.read(0, Cdbs.read10(64, 1), 4096), Sense.ILLEGAL_REQUEST, 0x21, 0);
    }

    @Test
    void writesDoNotTouchNeighbouringBlocks() {
        byte[] around = Luns.pattern(3 * BLOCK_SIZE, 4);
        assertGood(initiator.write(0, Cdbs.write10(20, 3), around));
        assertGood(initiator.write(0, Cdbs.write10(21, 1), new byte[BLOCK_SIZE]));
        byte[] after = readBlocks(20, 3);
        assertArrayEquals(Arrays.copyOfRange(around, 0, BLOCK_SIZE), Arrays.copyOfRange(after, 0, BLOCK_SIZE));
        assertArrayEquals(new byte[BLOCK_SIZE], Arrays.copyOfRange(after, BLOCK_SIZE, 2 * BLOCK_SIZE));
        assertArrayEquals(Arrays.copyOfRange(around, 2 * BLOCK_SIZE, 3 * BLOCK_SIZE),
                Arrays.copyOfRange(after, 2 * BLOCK_SIZE, 3 * BLOCK_SIZE));
    }
}
