package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertSense;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class UnitAttentionTest {
    private final ScsiTarget target = Luns.target(Luns.memoryLun(0), Luns.memoryLun(1));
    private final Initiator a = new Initiator(target, NEXUS_A);
    private final Initiator b = new Initiator(target, NEXUS_B);

    @Test
    void aNewNexusFirstSeesPowerOnResetOnEveryLunThenGood() {
        target.nexusLoggedIn(NEXUS_A);
        for (int lun : new int[] {0, 1}) {
            assertSense(a.command(lun, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
            assertGood(a.command(lun, Cdbs.testUnitReady()));
        }
    }

    @Test
    void inquiryAndReportLunsNeitherReportNorClearAUnitAttention() {
        target.nexusLoggedIn(NEXUS_A);
        assertGood(a.read(0, Cdbs.inquiry(false, 0, 96), 96));
        assertGood(a.read(0, Cdbs.reportLuns(0, 64), 64));
        assertSense(a.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
    }

    @Test
    void requestSenseReportsThePendingUnitAttentionAsDataAndClearsIt() {
        target.nexusLoggedIn(NEXUS_A);
        Reply reply = a.read(0, Cdbs.requestSense(false, 252), 252);
        assertGood(reply);
        Reply asSense = new Reply(ScsiResponse.CHECK_CONDITION, reply.data(), null, null, 0);
        assertEquals(Sense.UNIT_ATTENTION, asSense.senseKey());
        assertEquals(0x29, asSense.asc());
        assertGood(a.command(0, Cdbs.testUnitReady()));
    }

    @Test
    void evenAnUnsupportedCommandReportsTheUnitAttentionFirst() {
        target.nexusLoggedIn(NEXUS_A);
        assertSense(a.command(0, Cdbs.cdb(0xC0, 0, 0, 0, 0, 0)), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertSense(a.command(0, Cdbs.cdb(0xC0, 0, 0, 0, 0, 0)), Sense.ILLEGAL_REQUEST, 0x20, 0x00);
    }

    @Test
    void modeSelectTellsOtherNexusesButNotItself() {
        target.nexusLoggedIn(NEXUS_A);
        target.nexusLoggedIn(NEXUS_B);
        clearPowerOnAttentions();

        byte[] d = a.read(0, Cdbs.modeSense6(0, 0x0A, 0, 255, true), 255).data();
        byte[] list = new byte[d.length];
        System.arraycopy(d, 4, list, 4, d.length - 4);
        list[4 + 2] |= 0x04;
        assertGood(a.write(0, Cdbs.modeSelect6(list.length), list));

        assertGood(a.command(0, Cdbs.testUnitReady()));
        Reply other = b.command(0, Cdbs.testUnitReady());
        assertSense(other, Sense.UNIT_ATTENTION, 0x2A, 0x01);
        assertEquals(0x72, other.sense()[0], "delivered in the format now selected");
        assertGood(b.command(1, Cdbs.testUnitReady()));
    }

    @Test
    void aModeSelectThatChangesNothingRaisesNoUnitAttention() {
        target.nexusLoggedIn(NEXUS_B);
        b.command(0, Cdbs.testUnitReady());
        byte[] d = a.read(0, Cdbs.modeSense6(0, 0x08, 0, 255, true), 255).data();
        byte[] list = Arrays.copyOf(d, d.length);
        list[0] = 0;
        assertGood(a.write(0, Cdbs.modeSelect6(list.length), list));
        assertGood(b.command(0, Cdbs.testUnitReady()));
    }

    @Test
    void unitAttentionsAreDeliveredOldestFirst() {
        target.nexusLoggedIn(NEXUS_A);
        target.nexusLoggedIn(NEXUS_B);
        b.command(0, Cdbs.testUnitReady());
        byte[] d = b.read(0, Cdbs.modeSense6(0, 0x08, 0, 255, true), 255).data();
        byte[] list = Arrays.copyOf(d, d.length);
        list[0] = 0;
        list[4 + 2] &= ~0x04;
        assertGood(b.write(0, Cdbs.modeSelect6(list.length), list));

        assertSense(a.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertSense(a.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x2A, 0x01);
        assertGood(a.command(0, Cdbs.testUnitReady()));
    }

    @Test
    void logicalUnitResetTellsEveryNexusOfThatLunOnly() {
        target.nexusLoggedIn(NEXUS_A);
        target.nexusLoggedIn(NEXUS_B);
        clearPowerOnAttentions();
        target.logicalUnitReset(NEXUS_A, 1);

        assertSense(a.command(1, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x03);
        assertGood(a.command(1, Cdbs.testUnitReady()));
        assertGood(b.command(0, Cdbs.testUnitReady()));
        assertSense(b.command(1, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x03);
    }

    @Test
    void targetResetTellsEveryNexusOnEveryLun() {
        target.nexusLoggedIn(NEXUS_A);
        target.nexusLoggedIn(NEXUS_B);
        clearPowerOnAttentions();
        target.targetReset(NEXUS_A);

        assertSense(a.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertSense(b.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertSense(b.command(1, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
    }

    @Test
    void aLoggedOutNexusKeepsNoUnitAttentions() {
        target.nexusLoggedIn(NEXUS_A);
        target.nexusLoggedOut(NEXUS_A);
        assertGood(a.command(0, Cdbs.testUnitReady()));
    }

    private void clearPowerOnAttentions() {
        for (int lun : new int[] {0, 1}) {
            assertSense(a.command(lun, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
            assertSense(b.command(lun, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        }
    }
}
