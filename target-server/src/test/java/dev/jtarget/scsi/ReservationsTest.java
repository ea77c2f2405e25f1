package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReservationsTest {
    private static final byte[] RESERVE = Cdbs.cdb(0x16, 0, 0, 0, 0, 0);
    private static final byte[] RELEASE = Cdbs.cdb(0x17, 0, 0, 0, 0, 0);

    private final ScsiTarget target = Luns.target();
    private final Initiator a = new Initiator(target, NEXUS_A);
    private final Initiator b = new Initiator(target, NEXUS_B);

    @Test
    void theHolderWorksAndOthersGetReservationConflict() {
        assertGood(a.command(0, RESERVE));
        assertGood(a.command(0, RESERVE));
        assertGood(a.read(0, Cdbs.read10(0, 1), 512));
        assertEquals(ScsiResponse.RESERVATION_CONFLICT, b.read(0, Cdbs.read10(0, 1), 512).status());
        assertEquals(ScsiResponse.RESERVATION_CONFLICT, b.command(0, Cdbs.testUnitReady()).status());
        assertEquals(ScsiResponse.RESERVATION_CONFLICT, b.command(0, RESERVE).status());
    }

    @Test
    void inquiryReportLunsRequestSenseAndReleasePassAnotherNexussReservation() {
        assertGood(a.command(0, RESERVE));
        assertGood(b.read(0, Cdbs.inquiry(false, 0, 96), 96));
        assertGood(b.read(0, Cdbs.reportLuns(0, 64), 64));
        assertGood(b.read(0, Cdbs.requestSense(false, 18), 18));
        assertGood(b.command(0, RELEASE));
        assertEquals(ScsiResponse.RESERVATION_CONFLICT, b.command(0, Cdbs.testUnitReady()).status(),
                "releasing someone else's reservation changes nothing");
    }

    @Test
    void releaseLogoutAndResetFreeTheUnit() {
        assertGood(a.command(0, RESERVE));
        assertGood(a.command(0, RELEASE));
        assertGood(b.command(0, Cdbs.testUnitReady()));

        assertGood(a.command(0, Cdbs.cdb(0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
        target.nexusLoggedOut(NEXUS_A);
        assertGood(b.command(0, Cdbs.testUnitReady()));

        assertGood(a.command(0, RESERVE));
        target.logicalUnitReset(NEXUS_B, 0);
        assertGood(b.command(0, Cdbs.testUnitReady()));
    }
}
