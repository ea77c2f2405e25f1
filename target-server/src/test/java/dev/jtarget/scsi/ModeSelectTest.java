package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ModeSelectTest {
    private final Initiator initiator = new Initiator(Luns.target(), NEXUS_A);

    /** The current page as MODE SENSE(6) returns it without block descriptor. */
    private byte[] currentPage(int page) {
        byte[] d = initiator.read(0, Cdbs.modeSense6(0, page, 0, 255, true), 255).data();
        return Arrays.copyOfRange(d, 4, d.length);
    }

    /** A MODE SELECT(6) parameter list: 4-byte header without block descriptor, then the page. */
    private static byte[] list6(byte[] page) {
        byte[] list = new byte[4 + page.length];
        System.arraycopy(page, 0, list, 4, page.length);
        return list;
    }

    private Reply select6(byte[] list) {
        return initiator.write(0, Cdbs.modeSelect6(list.length), list);
    }

    @Test
    void clearingWceTurnsTheWriteCacheOff() {
        byte[] caching = currentPage(0x08);
        caching[2] &= ~0x04;
        assertGood(select6(list6(caching)));
        assertEquals(0, currentPage(0x08)[2] & 0x04);
    }

    @Test
    void settingDSenseSwitchesSenseDataToDescriptorFormat() {
        byte[] control = currentPage(0x0A);
        control[2] |= 0x04;
        assertGood(select6(list6(control)));

        Reply failed = initiator.read(0, Cdbs.read16(-1L, 1), 512);
        assertSense(failed, Sense.ILLEGAL_REQUEST, 0x21, 0x00);
        assertTrue(failed.descriptorFormat());
        assertEquals(0x72, failed.sense()[0]);

        control[2] &= ~0x04;
        assertGood(select6(list6(control)));
        assertFalse(initiator.read(0, Cdbs.read16(-1L, 1), 512).descriptorFormat());
    }

    @Test
    void descriptorSenseCarriesTheFieldPointerInASenseKeySpecificDescriptor() {
        byte[] control = currentPage(0x0A);
        control[2] |= 0x04;
        assertGood(select6(list6(control)));
        assertInvalidField(initiator.read(0, Cdbs.inquiry(false, 0x80, 255), 255), 2, -1);
    }

    @Test
    void changingABitThatIsNotChangeableIsAnInvalidFieldInTheParameterList() {
        byte[] caching = currentPage(0x08);
        caching[2] |= 0x01; // RCD
        Reply reply = select6(list6(caching));
        assertSense(reply, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
        assertFalse(reply.pointsIntoCdb());
        assertEquals(4 + 2, reply.fieldPointer());
        assertEquals(0, reply.bitPointer());
    }

    @Test
    void unsupportedPageOrWrongPageLengthIsAnInvalidFieldInTheParameterList() {
        byte[] unknown = new byte[] {0x19, 0x06, 0, 0, 0, 0, 0, 0};
        assertSense(select6(list6(unknown)), Sense.ILLEGAL_REQUEST, 0x26, 0x00);
        byte[] caching = currentPage(0x08);
        caching[1] = 0x10;
        assertSense(select6(list6(Arrays.copyOf(caching, 0x12))), Sense.ILLEGAL_REQUEST, 0x26, 0x00);
    }

    @Test
    void aBlockDescriptorMustRestateTheCurrentGeometry() {
        byte[] page = currentPage(0x08);
        byte[] list = new byte[4 + 8 + page.length];
        list[3] = 8;
        Cdb.put16(list, 4 + 6, Luns.BLOCK_SIZE); // NUMBER OF BLOCKS 0 = unchanged
        System.arraycopy(page, 0, list, 12, page.length);
        assertGood(select6(list));

        Cdb.put16(list, 4 + 6, 4096);
        Reply reply = select6(list);
        assertSense(reply, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(4 + 5, reply.fieldPointer());
    }

    @Test
    void savePagesIsAnInvalidFieldInTheCdb() {
        byte[] list = list6(currentPage(0x08));
        byte[] cdb = Cdbs.modeSelect6(list.length);
        cdb[1] |= 0x01;
        assertInvalidField(initiator.write(0, cdb, list), 1, 0);
    }

    @Test
    void pageFormatBitIsRequired() {
        byte[] list = list6(currentPage(0x08));
        byte[] cdb = Cdbs.modeSelect6(list.length);
        cdb[1] = 0;
        assertInvalidField(initiator.write(0, cdb, list), 1, 4);
    }

    @Test
    void emptyParameterListChangesNothing() {
        assertGood(initiator.command(0, Cdbs.modeSelect6(0)));
    }

    @Test
    void parameterListShorterThanItsHeaderIsAParameterListLengthError() {
        assertSense(initiator.write(0, Cdbs.modeSelect6(2), new byte[2]), Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
    }

    @Test
    void modeSelect10AcceptsTheControlPage() {
        byte[] control = currentPage(0x0A);
        control[2] |= 0x04;
        byte[] list = new byte[8 + control.length];
        System.arraycopy(control, 0, list, 8, control.length);
        assertGood(initiator.write(0, Cdbs.modeSelect10(list.length), list));
        assertEquals(0x04, currentPage(0x0A)[2] & 0x04);
    }
}
