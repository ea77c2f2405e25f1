package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCKS;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.backend.memory.MemoryBackend;
import dev.jtarget.scsi.ScsiResponse.Residual;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModeSenseTest {
    private static final int CURRENT = 0;
    private static final int CHANGEABLE = 1;
    private static final int DEFAULT = 2;
    private static final int SAVED = 3;

    private final Initiator initiator = new Initiator(Luns.target(), NEXUS_A);

    private byte[] sense6(int pageControl, int page) {
        Reply reply = initiator.read(0, Cdbs.modeSense6(pageControl, page, 0, 255, false), 255);
        assertGood(reply);
        assertEquals(reply.data().length - 1, reply.data()[0] & 0xFF, "MODE DATA LENGTH");
        return reply.data();
    }

    /** Page codes in the order returned, after a 4-byte header and an 8-byte block descriptor. */
    private static List<Integer> pageCodes(byte[] data, int at) {
        List<Integer> codes = new ArrayList<>();
        while (at < data.length) {
            codes.add(data[at] & 0x3F);
            at += 2 + (data[at + 1] & 0xFF);
        }
        return codes;
    }

    @Test
    void allPagesReturnsCachingControlAndInformationalExceptionsInOrder() {
        byte[] d = sense6(CURRENT, 0x3F);
        assertEquals(8, d[3], "BLOCK DESCRIPTOR LENGTH");
        assertEquals(List.of(0x08, 0x0A, 0x1C), pageCodes(d, 12));
    }

    @Test
    void headerAdvertisesDpoFuaAndNoWriteProtection() {
        assertEquals(0x10, sense6(CURRENT, 0x08)[2] & 0xFF);
    }

    @Test
    void readOnlyLunSetsTheWpBit() {
        LogicalUnit readOnly = Luns.lun(0, new MemoryBackend(BLOCKS * BLOCK_SIZE, BLOCK_SIZE), true, true);
        Reply reply = new Initiator(Luns.target(readOnly), NEXUS_A)
                .read(0, Cdbs.modeSense6(CURRENT, 0x3F, 0, 255, false), 255);
        assertEquals(0x80 | 0x10, reply.data()[2] & 0xFF);
    }

    @Test
    void blockDescriptorCarriesCapacityAndBlockLength() {
        byte[] d = sense6(CURRENT, 0x08);
        assertEquals(BLOCKS, Cdb.u32(d, 4));
        assertEquals(BLOCK_SIZE, Cdb.u16(d, 10));
    }

    @Test
    void dbdLeavesOutTheBlockDescriptor() {
        byte[] d = initiator.read(0, Cdbs.modeSense6(CURRENT, 0x08, 0, 255, true), 255).data();
        assertEquals(0, d[3]);
        assertEquals(0x08, d[4] & 0x3F);
    }

    @Test
    void cachingPageReportsWceFromTheConfiguration() {
        assertEquals(0x04, sense6(CURRENT, 0x08)[12 + 2] & 0x04);
        LogicalUnit noCache = Luns.lun(0, new MemoryBackend(BLOCKS * BLOCK_SIZE, BLOCK_SIZE), false, false);
        byte[] d = new Initiator(Luns.target(noCache), NEXUS_A)
                .read(0, Cdbs.modeSense6(CURRENT, 0x08, 0, 255, false), 255).data();
        assertEquals(0, d[12 + 2] & 0x04);
    }

    @Test
    void controlPageReportsFixedSenseByDefault() {
        byte[] page = Arrays.copyOfRange(sense6(CURRENT, 0x0A), 12, 24);
        assertEquals(0x0A, page[0]);
        assertEquals(0x0A, page[1]);
        assertEquals(0, page[2] & 0x04, "D_SENSE=0");
        assertEquals(0x02, page[2] & 0x02, "GLTSD=1");
    }

    @Test
    void controlPageReportsOneSharedTaskSetWhoseAbortedCommandsEndWithTaskAborted() {
        byte[] page = Arrays.copyOfRange(sense6(CURRENT, 0x0A), 12, 24);
        assertEquals(0, page[2] & 0xE0, "TST=000b: CLEAR TASK SET reaches every I_T nexus");
        assertEquals(0x40, page[5] & 0x40, "TAS=1: the iSCSI layer sends TASK ABORTED to the other I_T nexuses");
    }

    @Test
    void changeableValuesMarkOnlyWceAndDSense() {
        byte[] d = sense6(CHANGEABLE, 0x3F);
        assertEquals(0x04, d[12 + 2], "caching: WCE");
        assertEquals(0x04, d[12 + 20 + 2], "control: D_SENSE");
        for (int i = 12 + 20 + 12 + 2; i < d.length; i++) {
            assertEquals(0, d[i], "informational exceptions: nothing changeable");
        }
        assertEquals(0, Cdb.u32(d, 4), "geometry is not changeable");
    }

    @Test
    void defaultValuesComeFromTheConfiguration() {
        assertEquals(0x04, sense6(DEFAULT, 0x08)[12 + 2] & 0x04);
    }

    @Test
    void savedValuesAreNotSupported() {
        Reply reply = initiator.read(0, Cdbs.modeSense6(SAVED, 0x08, 0, 255, false), 255);
        assertSense(reply, Sense.ILLEGAL_REQUEST, 0x39, 0x00);
    }

    @Test
    void unsupportedPageAndSubpageAreInvalidFields() {
        assertInvalidField(initiator.read(0, Cdbs.modeSense6(CURRENT, 0x19, 0, 255, false), 255), 2, 5);
        assertInvalidField(initiator.read(0, Cdbs.modeSense6(CURRENT, 0x08, 0x01, 255, false), 255), 3, -1);
        assertGood(initiator.read(0, Cdbs.modeSense6(CURRENT, 0x3F, 0xFF, 255, false), 255));
    }

    @Test
    void allocationLengthTruncatesModeSense6() {
        Reply reply = initiator.read(0, Cdbs.modeSense6(CURRENT, 0x3F, 0, 4, false), 4);
        assertGood(reply);
        assertEquals(4, reply.data().length);
        assertEquals(4 + 8 + 20 + 12 + 12 - 1, reply.data()[0] & 0xFF, "MODE DATA LENGTH is not truncated");
        assertEquals(Residual.NONE, reply.residual());
    }

    @Test
    void modeSense10HasAnEightByteHeaderAndLongLbaDescriptorsOnRequest() {
        Reply shortForm = initiator.read(0, Cdbs.modeSense10(CURRENT, 0x08, 255, false, false), 255);
        byte[] d = shortForm.data();
        assertEquals(d.length - 2, Cdb.u16(d, 0));
        assertEquals(0x10, d[3] & 0xFF, "DPOFUA");
        assertEquals(8, Cdb.u16(d, 6));
        assertEquals(0x08, d[16] & 0x3F);

        byte[] l = initiator.read(0, Cdbs.modeSense10(CURRENT, 0x08, 255, false, true), 255).data();
        assertEquals(1, l[4] & 0x01, "LONGLBA");
        assertEquals(16, Cdb.u16(l, 6));
        assertEquals(BLOCKS, Cdb.u64(l, 8));
        assertEquals(BLOCK_SIZE, Cdb.u32(l, 20));
    }
}
