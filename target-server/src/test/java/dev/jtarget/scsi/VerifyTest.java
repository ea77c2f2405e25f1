package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifyTest {
    private final RecordingBackend backend = new RecordingBackend();
    private final Initiator initiator = new Initiator(Luns.target(Luns.lun(0, backend, true, false)), NEXUS_A);
    private final byte[] stored = Luns.pattern(4 * BLOCK_SIZE, 5);

    VerifyTest() {
        assertGood(initiator.write(0, Cdbs.write10(10, 4), stored));
        backend.calls.clear();
    }

    @Test
    void verifyWithoutByteCheckOnlyChecksTheRange() {
        assertGood(initiator.command(0, Cdbs.verify10(0, 10, 4)));
        assertSense(initiator.command(0, Cdbs.verify10(0, Luns.BLOCKS, 1)), Sense.ILLEGAL_REQUEST, 0x21, 0);
        assertGood(initiator.command(0, Cdbs.sixteenByte(0x8F, 0, Luns.BLOCKS)));
        assertEquals(List.of(), backend.calls, "no data is read");
    }

    @Test
    void verifyWithByteCheckComparesTheDataOut() {
        assertGood(initiator.write(0, Cdbs.verify10(1, 10, 4), stored));
    }

    @Test
    void aMiscompareReportsTheOffsetOfTheFirstDifferentByte() {
        byte[] different = stored.clone();
        different[BLOCK_SIZE + 27] ^= 0x55;
        Reply reply = initiator.write(0, Cdbs.verify10(1, 10, 4), different);
        assertSense(reply, Sense.MISCOMPARE, 0x1D, 0x00);
        assertEquals(BLOCK_SIZE + 27, reply.information());
    }

    @Test
    void byteCheck11ComparesOneBlockWithEveryBlock() {
        byte[] same = new byte[BLOCK_SIZE];
        Arrays.fill(same, (byte) 'x');
        byte[] fourSame = new byte[4 * BLOCK_SIZE];
        Arrays.fill(fourSame, (byte) 'x');
        assertGood(initiator.write(0, Cdbs.write10(20, 4), fourSame));
        assertGood(initiator.write(0, Cdbs.verify10(3, 20, 4), same));
        assertSense(initiator.write(0, Cdbs.verify10(3, 10, 4), same), Sense.MISCOMPARE, 0x1D, 0x00);
    }

    @Test
    void reservedByteCheckAndProtectionAreInvalidFields() {
        assertInvalidField(initiator.write(0, Cdbs.verify10(2, 10, 1), new byte[BLOCK_SIZE]), 1, 2);
        byte[] cdb = Cdbs.verify10(0, 10, 1);
        cdb[1] |= 0x20;
        assertInvalidField(initiator.command(0, cdb), 1, 7);
    }

    @Test
    void verify12And16UseTheirOwnLayouts() {
        byte[] twelve = Cdbs.twelveByte(0xAF, 10, 4);
        twelve[1] = 0x02;
        assertGood(initiator.write(0, twelve, stored));
        byte[] sixteen = Cdbs.sixteenByte(0x8F, 10, 4);
        sixteen[1] = 0x02;
        assertGood(initiator.write(0, sixteen, stored));
    }

    @Test
    void writeAndVerifyWritesDurably() {
        byte[] data = Luns.pattern(2 * BLOCK_SIZE, 8);
        assertGood(initiator.write(0, Cdbs.tenByte(0x2E, 30, 2), data));
        assertEquals("write 15360+1024 fua=true", backend.calls.getLast());
        assertArrayEquals(data, initiator.read(0, Cdbs.read10(30, 2), data.length).data());
        assertGood(initiator.write(0, Cdbs.twelveByte(0xAE, 30, 2), data));
        assertGood(initiator.write(0, Cdbs.sixteenByte(0x8E, 30, 2), data));
    }
}
