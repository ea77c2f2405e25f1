package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.scsi.ScsiResponse.Residual;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class InquiryTest {
    private final Initiator initiator = new Initiator(Luns.target(), NEXUS_A);

    @Test
    void standardDataDescribesAQueuingSpc4DirectAccessDisk() {
        Reply reply = initiator.read(0, Cdbs.inquiry(false, 0, 255), 255);

        assertGood(reply);
        byte[] d = reply.data();
        assertEquals(96, d.length);
        assertEquals(0x00, d[0], "peripheral qualifier 0, direct access block device");
        assertEquals(0x06, d[2], "VERSION SPC-4");
        assertEquals(0x12, d[3], "HISUP=1, RESPONSE DATA FORMAT=2");
        assertEquals(91, d[4], "ADDITIONAL LENGTH = n - 4");
        assertEquals(0x00, d[5] & 0x30, "TPGS=0");
        assertEquals(0x02, d[7], "CMDQUE=1");
        assertEquals("JTARGET ", ascii(d, 8, 8));
        assertEquals("VIRTUAL DISK    ", ascii(d, 16, 16));
        assertEquals("0001", ascii(d, 32, 4));
        assertEquals(0x00A0, Cdb.u16(d, 58), "SAM-5");
        assertEquals(0x0460, Cdb.u16(d, 60), "SPC-4");
        assertEquals(0x04C0, Cdb.u16(d, 62), "SBC-3");
        assertEquals(0x0960, Cdb.u16(d, 64), "iSCSI");
        assertEquals(Residual.UNDERFLOW, reply.residual());
        assertEquals(255 - 96, reply.residualCount());
    }

    @Test
    void allocationLengthTruncatesTheDataAndIsNoError() {
        Reply reply = initiator.read(0, Cdbs.inquiry(false, 0, 36), 36);

        assertGood(reply);
        assertEquals(36, reply.data().length);
        assertEquals(Residual.NONE, reply.residual());
    }

    @Test
    void expectedLengthBelowAllocationLengthSendsOnlyExpectedBytesAsOverflow() {
        Reply reply = initiator.read(0, Cdbs.inquiry(false, 0, 96), 20);

        assertGood(reply);
        assertEquals(20, reply.data().length);
        assertEquals(Residual.OVERFLOW, reply.residual());
        assertEquals(76, reply.residualCount());
    }

    @Test
    void aLunThatDoesNotExistAnswersWithQualifier011AndType1F() {
        Reply reply = initiator.read(7, Cdbs.inquiry(false, 0, 96), 96);

        assertGood(reply);
        assertEquals(0x7F, reply.data()[0] & 0xFF);
    }

    @Test
    void vpdPagesOfALunThatDoesNotExistAreLogicalUnitNotSupported() {
        assertSense(initiator.read(7, Cdbs.inquiry(true, 0x00, 255), 255), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
    }

    @Test
    void pageCodeWithoutEvpdIsAnInvalidFieldAtByte2() {
        assertInvalidField(initiator.read(0, Cdbs.inquiry(false, 0x80, 255), 255), 2, -1);
    }

    @Test
    void obsoleteCmddtBitIsAnInvalidFieldAtByte1Bit1() {
        byte[] cdb = Cdbs.inquiry(false, 0, 96);
        cdb[1] = 0x02;
        assertInvalidField(initiator.read(0, cdb, 96), 1, 1);
    }

    @Test
    void nacaBitInTheControlByteIsRejectedSinceAcaIsNotSupported() {
        byte[] cdb = Cdbs.inquiry(false, 0, 96);
        cdb[5] = 0x04;
        assertInvalidField(initiator.read(0, cdb, 96), 5, 2);
    }

    private static String ascii(byte[] b, int at, int length) {
        return new String(Arrays.copyOfRange(b, at, at + length), StandardCharsets.US_ASCII);
    }
}
