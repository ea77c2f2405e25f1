package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReportSupportedCommandsTest {
    private final Initiator initiator = new Initiator(Luns.target(), NEXUS_A);

    @Test
    void allCommandsListsEveryCommandOfTheTable() {
        Reply reply = initiator.read(0, Cdbs.reportSupportedOperationCodes(0, 0, 0, 4096), 4096);
        assertGood(reply);
        byte[] d = reply.data();
        assertEquals(d.length - 4, Cdb.u32(d, 0));
        assertEquals(CommandTable.all().size() * 8, d.length - 4);
        boolean foundReadCapacity16 = false;
        for (int at = 4; at < d.length; at += 8) {
            if ((d[at] & 0xFF) == 0x9E && Cdb.u16(d, at + 2) == 0x10) {
                foundReadCapacity16 = true;
                assertEquals(0x01, d[at + 5], "SERVACTV");
                assertEquals(16, Cdb.u16(d, at + 6));
            }
        }
        assertEquals(true, foundReadCapacity16);
    }

    @Test
    void withRctdEveryDescriptorCarriesATimeoutsDescriptor() {
        byte[] d = initiator.read(0, Cdbs.reportSupportedOperationCodes(0x80, 0, 0, 8192), 8192).data();
        assertEquals(CommandTable.all().size() * 20, d.length - 4);
        assertEquals(0x02, d[4 + 5] & 0x02, "CTDP");
    }

    @Test
    void oneCommandReturnsItsUsageMap() {
        Reply reply = initiator.read(0, Cdbs.reportSupportedOperationCodes(1, 0x28, 0, 64), 64);
        assertGood(reply);
        byte[] d = reply.data();
        assertEquals(0x03, d[1] & 0x07, "supported as the standard says");
        assertEquals(10, Cdb.u16(d, 2));
        assertArrayEquals(new byte[] {0x28, (byte) 0xFE, -1, -1, -1, -1, 0x1F, -1, -1, 0},
                Arrays.copyOfRange(d, 4, 14));
    }

    @Test
    void oneServiceActionAndUnsupportedOnes() {
        byte[] d = initiator.read(0, Cdbs.reportSupportedOperationCodes(2, 0x9E, 0x10, 64), 64).data();
        assertEquals(0x03, d[1] & 0x07);
        assertEquals(0x10, d[5]);
        byte[] missing = initiator.read(0, Cdbs.reportSupportedOperationCodes(1, 0x4D, 0, 64), 64).data();
        assertEquals(0x01, missing[1] & 0x07, "not supported");
    }

    @Test
    void askingWithoutServiceActionForAServiceActionOpcodeIsInvalid() {
        assertInvalidField(initiator.read(0, Cdbs.reportSupportedOperationCodes(1, 0x9E, 0, 64), 64), 3, -1);
        assertInvalidField(initiator.read(0, Cdbs.reportSupportedOperationCodes(7, 0x28, 0, 64), 64), 2, 2);
    }

    @Test
    void taskManagementFunctionsInBothFormats() {
        byte[] basic = initiator.read(0, Cdbs.reportSupportedTaskManagementFunctions(false, 16), 16).data();
        assertArrayEquals(new byte[] {(byte) 0xDA, 0, 0, 0}, basic);
        byte[] extended = initiator.read(0, Cdbs.reportSupportedTaskManagementFunctions(true, 16), 16).data();
        assertEquals(16, extended.length);
        assertEquals(0x0C, extended[3]);
    }

    @Test
    void everyUsageMapMatchesTheOpcodeGroupLength() {
        for (CommandSpec spec : CommandTable.all()) {
            assertEquals(LbaRange.cdbSize(spec.usage()), spec.cdbLength(), spec.name());
        }
    }
}
