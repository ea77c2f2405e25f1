package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jtarget.scsi.ScsiResponse.Residual;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReportLunsTest {
    private final Initiator initiator = new Initiator(
            Luns.target(Luns.memoryLun(5), Luns.memoryLun(0), Luns.memoryLun(300)), NEXUS_A);

    @Test
    void listsEveryLunInAscendingOrderWithSam5Addressing() {
        Reply reply = initiator.read(0, Cdbs.reportLuns(0, 1024), 1024);
        assertGood(reply);
        byte[] d = reply.data();
        assertEquals(24, Cdb.u32(d, 0), "LUN LIST LENGTH");
        assertEquals(8 + 24, d.length);
        assertArrayEquals(new byte[8], Arrays.copyOfRange(d, 8, 16));
        assertArrayEquals(new byte[] {0, 5, 0, 0, 0, 0, 0, 0}, Arrays.copyOfRange(d, 16, 24));
        assertArrayEquals(new byte[] {0x41, 0x2C, 0, 0, 0, 0, 0, 0}, Arrays.copyOfRange(d, 24, 32),
                "flat space addressing above 255");
        assertEquals(Residual.UNDERFLOW, reply.residual());
    }

    @Test
    void worksThroughALunThatDoesNotExist() {
        assertEquals(24, Cdb.u32(initiator.read(9, Cdbs.reportLuns(0, 64), 64).data(), 0));
    }

    @Test
    void selectReport2IsTheSameAsZeroAndOneListsNoWellKnownLuns() {
        assertEquals(24, Cdb.u32(initiator.read(0, Cdbs.reportLuns(2, 64), 64).data(), 0));
        Reply wellKnown = initiator.read(0, Cdbs.reportLuns(1, 64), 64);
        assertGood(wellKnown);
        assertEquals(0, Cdb.u32(wellKnown.data(), 0));
    }

    @Test
    void otherSelectReportValuesAreInvalid() {
        assertInvalidField(initiator.read(0, Cdbs.reportLuns(0x10, 64), 64), 2, -1);
    }

    @Test
    void allocationLengthTruncatesButTheListLengthStaysWhole() {
        Reply reply = initiator.read(0, Cdbs.reportLuns(0, 16), 16);
        assertGood(reply);
        assertEquals(16, reply.data().length);
        assertEquals(24, Cdb.u32(reply.data(), 0));
    }

    @Test
    void lunsThatReportLunsCannotAddressOrDuplicatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Luns.target(Luns.memoryLun(16384)));
        assertThrows(IllegalArgumentException.class, () -> Luns.target(Luns.memoryLun(1), Luns.memoryLun(1)));
    }
}
