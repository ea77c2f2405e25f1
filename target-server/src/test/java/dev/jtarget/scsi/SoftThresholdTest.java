package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertSense;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** THIN PROVISIONING SOFT THRESHOLD REACHED: once per crossing to every nexus, and to nexuses that come later. */
class SoftThresholdTest {
    private final LogicalUnit lun = Luns.memoryLun(0);
    private final ScsiTarget target = Luns.target(lun);
    private final Initiator a = new Initiator(target, NEXUS_A);
    private final Initiator b = new Initiator(target, NEXUS_B);

    @Test
    void everyNexusSeesTheUnitAttentionOncePerCrossing() {
        target.nexusLoggedIn(NEXUS_A);
        target.nexusLoggedIn(NEXUS_B);
        assertSense(a.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertSense(b.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);

        lun.softThresholdReached(true);
        lun.softThresholdReached(true); // the watch said so twice: still one unit attention
        Reply reply = a.command(0, Cdbs.testUnitReady());
        assertSense(reply, Sense.UNIT_ATTENTION, 0x38, 0x07);
        byte[] sense = reply.sense();
        assertEquals(0x70, sense[0] & 0x7F, "fixed format");
        assertEquals(0x06, sense[2] & 0x0F);
        assertEquals(0x38, sense[12]);
        assertEquals(0x07, sense[13]);
        assertGood(a.command(0, Cdbs.testUnitReady()));
        assertSense(b.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x38, 0x07);
        assertGood(b.command(0, Cdbs.testUnitReady()));

        lun.softThresholdReached(false);
        assertGood(a.command(0, Cdbs.testUnitReady()));
        lun.softThresholdReached(true);
        assertSense(a.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x38, 0x07);
        assertSense(b.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x38, 0x07);
    }

    @Test
    void aNexusLoggingInAboveTheThresholdIsToldAfterPowerOn() {
        lun.softThresholdReached(true);
        target.nexusLoggedIn(NEXUS_A);
        assertSense(a.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertSense(a.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x38, 0x07);
        assertGood(a.command(0, Cdbs.testUnitReady()));

        lun.softThresholdReached(false);
        target.nexusLoggedIn(NEXUS_B);
        assertSense(b.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertGood(b.command(0, Cdbs.testUnitReady()));
    }
}
