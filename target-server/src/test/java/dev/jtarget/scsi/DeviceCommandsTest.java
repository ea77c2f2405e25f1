package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** TEST UNIT READY, REQUEST SENSE, START STOP UNIT, PREVENT ALLOW and commands we do not implement. */
class DeviceCommandsTest {
    private final Initiator initiator = new Initiator(Luns.target(), NEXUS_A);

    @Test
    void testUnitReadyIsGood() {
        assertGood(initiator.command(0, Cdbs.testUnitReady()));
    }

    @Test
    void requestSenseWithNothingPendingIsNoSenseInFixedFormat() {
        Reply reply = initiator.read(0, Cdbs.requestSense(false, 252), 252);
        assertGood(reply);
        assertEquals(18, reply.data().length);
        assertEquals(0x70, reply.data()[0]);
        assertEquals(0, reply.data()[2] & 0x0F);
        assertEquals(0, reply.data()[12]);
    }

    @Test
    void requestSenseWithDescSetAnswersInDescriptorFormat() {
        Reply reply = initiator.read(0, Cdbs.requestSense(true, 252), 252);
        assertGood(reply);
        assertEquals(8, reply.data().length);
        assertEquals(0x72, reply.data()[0]);
    }

    @Test
    void requestSenseIsTruncatedToItsAllocationLength() {
        assertEquals(8, initiator.read(0, Cdbs.requestSense(false, 8), 252).data().length);
    }

    @Test
    void startStopUnitStartsAndStopsButCannotEject() {
        assertGood(initiator.command(0, Cdbs.startStopUnit(0x01)));
        assertGood(initiator.command(0, Cdbs.startStopUnit(0x00)));
        assertInvalidField(initiator.command(0, Cdbs.startStopUnit(0x02)), 4, 1);
        assertInvalidField(initiator.command(0, Cdbs.startStopUnit(0x11)), 4, 7);
    }

    @Test
    void mediumRemovalCanBeAllowedButNotPrevented() {
        assertGood(initiator.command(0, Cdbs.preventAllow(0)));
        assertInvalidField(initiator.command(0, Cdbs.preventAllow(1)), 4, 1);
    }

    @Test
    void anUnknownOpcodeIsInvalidCommandOperationCode() {
        Reply reply = initiator.command(0, Cdbs.cdb(0x4D, 0, 0, 0, 0, 0, 0, 0, 0, 0)); // LOG SENSE
        assertSense(reply, Sense.ILLEGAL_REQUEST, 0x20, 0x00);
        assertEquals(0, reply.fieldPointer());
    }

    @Test
    void aReservedBitInAnOtherwiseValidCdbIsPointedAt() {
        byte[] cdb = Cdbs.testUnitReady();
        cdb[2] = 0x10;
        assertInvalidField(initiator.command(0, cdb), 2, 4);
    }

    @Test
    void aLunThatDoesNotExistRejectsEverythingButInquiryRequestSenseAndReportLuns() {
        assertSense(initiator.command(5, Cdbs.testUnitReady()), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
        assertSense(initiator.read(5, Cdbs.read10(0, 1), 512), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
        assertSense(initiator.command(5, Cdbs.cdb(0xC0, 0, 0, 0, 0, 0)), Sense.ILLEGAL_REQUEST, 0x25, 0x00);
        assertGood(initiator.read(5, Cdbs.inquiry(false, 0, 96), 96));
        assertGood(initiator.read(5, Cdbs.reportLuns(0, 64), 64));

        Reply requestSense = initiator.read(5, Cdbs.requestSense(false, 18), 18);
        assertGood(requestSense);
        Reply parameterData = new Reply(ScsiResponse.CHECK_CONDITION, requestSense.data(), null, null, 0);
        assertEquals(Sense.ILLEGAL_REQUEST, parameterData.senseKey());
        assertEquals(0x25, parameterData.asc());
    }

    @Test
    void hasLunKnowsTheConfiguredLuns() {
        ScsiTarget target = Luns.target(Luns.memoryLun(0), Luns.memoryLun(300));
        assertEquals(true, target.hasLun(300));
        assertEquals(false, target.hasLun(1));
    }

    @Test
    void readDefectDataReportsEmptyListsInTheRequestedFormat() {
        Reply ten = initiator.read(0, Cdbs.cdb(0x37, 0, 0x1D, 0, 0, 0, 0, 0, 64, 0), 64); // PLIST+GLIST, format 5
        assertGood(ten);
        assertArrayEquals(new byte[] {0, 0x1D, 0, 0}, ten.data());
        Reply twelve = initiator.read(0, Cdbs.cdb(0xB7, 0x08, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0), 64);
        assertGood(twelve);
        assertArrayEquals(new byte[] {0, 0x08, 0, 0, 0, 0, 0, 0}, twelve.data());
    }
}
