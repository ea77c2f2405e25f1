package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.PrInitiator.CLEAR;
import static dev.jtarget.scsi.PrInitiator.PREEMPT;
import static dev.jtarget.scsi.PrInitiator.PREEMPT_AND_ABORT;
import static dev.jtarget.scsi.PrInitiator.REGISTER;
import static dev.jtarget.scsi.PrInitiator.RELEASE;
import static dev.jtarget.scsi.PrInitiator.RESERVE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PersistentReservationsTest {
    private static final long KEY_A = 0xA1A1_0000_0000_000AL;
    private static final long KEY_B = 0xB2B2_0000_0000_000BL;

    private final LogicalUnit lun = Luns.memoryLun(0);
    private final ScsiTarget target = Luns.target(lun);
    private final PrInitiator a = new PrInitiator(new Initiator(target, NEXUS_A));
    private final PrInitiator b = new PrInitiator(new Initiator(target, NEXUS_B));

    @BeforeEach
    void logIn() {
        target.nexusLoggedIn(NEXUS_A);
        target.nexusLoggedIn(NEXUS_B);
        for (PrInitiator initiator : List.of(a, b)) {
            assertSense(initiator.initiator().command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        }
    }

    private static void assertConflict(Reply reply) {
        assertEquals(ScsiResponse.RESERVATION_CONFLICT, reply.status());
    }

    private static void assertUnitAttention(PrInitiator initiator, int ascq) {
        assertSense(initiator.initiator().command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x2A, ascq);
        assertGood(initiator.initiator().command(0, Cdbs.testUnitReady()));
    }

    @Test
    void registeringChangingAndRemovingKeysBumpsTheGeneration() {
        assertEquals(0, a.generation());
        assertGood(a.out(REGISTER, null, 0, KEY_A, 0));
        b.register(KEY_B);
        assertEquals(List.of(KEY_A, KEY_B), a.keys());
        assertEquals(2, a.generation());

        assertGood(a.out(REGISTER, null, KEY_A, 0x77, 0));
        assertEquals(List.of(0x77L, KEY_B), a.keys());
        assertGood(a.out(REGISTER, null, 0x77, 0, 0));
        assertEquals(List.of(KEY_B), a.keys());
        assertEquals(4, a.generation());
    }

    @Test
    void registerWithTheWrongReservationKeyConflictsButIgnoreExistingKeyDoesNot() {
        assertConflict(a.out(REGISTER, null, 5, KEY_A, 0));
        assertGood(a.out(REGISTER, null, 0, KEY_A, 0));
        assertConflict(a.out(REGISTER, null, 0, 9, 0));
        assertGood(a.out(PrInitiator.REGISTER_AND_IGNORE, null, 0, 9, 0));
        assertEquals(List.of(9L), a.keys());
        assertGood(b.out(REGISTER, null, 0, 0, 0));
        assertEquals(2, a.generation(), "registering key 0 for an unregistered nexus changes nothing");
    }

    @Test
    void readKeysKeepsTheAdditionalLengthWhenTruncated() {
        a.register(KEY_A);
        b.register(KEY_B);
        Reply reply = a.in(0, 12);
        assertEquals(12, reply.data().length);
        assertEquals(16, Cdb.u32(reply.data(), 4));
    }

    @Test
    void reserveNeedsARegistrationAndItsKey() {
        assertConflict(a.out(RESERVE, PrType.WRITE_EXCLUSIVE, 0, 0, 0));
        a.register(KEY_A);
        assertConflict(a.out(RESERVE, PrType.WRITE_EXCLUSIVE, KEY_B, 0, 0));
        int generation = a.generation();
        a.reserve(KEY_A, PrType.WRITE_EXCLUSIVE);
        a.reserve(KEY_A, PrType.WRITE_EXCLUSIVE);
        assertArrayEquals(new long[] {KEY_A, 1}, b.reservation());
        assertEquals(generation, a.generation(), "RESERVE does not change the generation");

        assertConflict(a.out(RESERVE, PrType.EXCLUSIVE_ACCESS, KEY_A, 0, 0));
        b.register(KEY_B);
        assertConflict(b.out(RESERVE, PrType.WRITE_EXCLUSIVE, KEY_B, 0, 0));
    }

    @Test
    void anAllRegistrantsReservationReportsKeyZeroAndEveryRegistrantMayReserveIt() {
        a.register(KEY_A);
        b.register(KEY_B);
        a.reserve(KEY_A, PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS);
        assertArrayEquals(new long[] {0, 7}, a.reservation());
        b.reserve(KEY_B, PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS);
    }

    @Test
    void scopeAndTypeAreCheckedInTheCdb() {
        a.register(KEY_A);
        assertInvalidField(a.initiator().write(0, Cdbs.persistentReserveOut(RESERVE, 0x10 | 1, 24),
                Cdbs.proutParameters(KEY_A, 0, 0)), 2, 7);
        assertInvalidField(a.initiator().write(0, Cdbs.persistentReserveOut(RESERVE, 2, 24),
                Cdbs.proutParameters(KEY_A, 0, 0)), 2, 3);
    }

    @Test
    void releaseByTheHolderNeedsTheSameTypeAndOthersReleaseNothing() {
        a.register(KEY_A);
        b.register(KEY_B);
        a.reserve(KEY_A, PrType.WRITE_EXCLUSIVE);
        assertGood(b.out(RELEASE, PrType.WRITE_EXCLUSIVE, KEY_B, 0, 0));
        assertArrayEquals(new long[] {KEY_A, 1}, a.reservation());
        assertSense(a.out(RELEASE, PrType.EXCLUSIVE_ACCESS, KEY_A, 0, 0), Sense.ILLEGAL_REQUEST, 0x26, 0x04);
        assertGood(a.out(RELEASE, PrType.WRITE_EXCLUSIVE, KEY_A, 0, 0));
        assertNull(a.reservation());
        assertEquals(ScsiResponse.GOOD, b.initiator().command(0, Cdbs.testUnitReady()).status(),
                "no unit attention for a released write exclusive reservation");
        assertEquals(List.of(KEY_A, KEY_B), a.keys(), "RELEASE keeps the registrations");
    }

    @Test
    void releasingARegistrantsOnlyReservationTellsTheOtherRegistrants() {
        a.register(KEY_A);
        b.register(KEY_B);
        a.reserve(KEY_A, PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
        assertGood(a.out(RELEASE, PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, KEY_A, 0, 0));
        assertUnitAttention(b, 0x04);
        assertGood(a.initiator().command(0, Cdbs.testUnitReady()));
    }

    @Test
    void unregisteringTheHolderOfARegistrantsOnlyReservationReleasesIt() {
        a.register(KEY_A);
        b.register(KEY_B);
        a.reserve(KEY_A, PrType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        assertGood(a.out(REGISTER, null, KEY_A, 0, 0));
        assertUnitAttention(b, 0x04);
        assertNull(b.reservation());
    }

    @Test
    void anAllRegistrantsReservationLastsUntilTheLastRegistrantLeaves() {
        a.register(KEY_A);
        b.register(KEY_B);
        a.reserve(KEY_A, PrType.EXCLUSIVE_ACCESS_ALL_REGISTRANTS);
        assertGood(a.out(REGISTER, null, KEY_A, 0, 0));
        assertArrayEquals(new long[] {0, 8}, b.reservation());
        assertGood(b.out(REGISTER, null, KEY_B, 0, 0));
        assertNull(b.reservation());
    }

    @Test
    void clearRemovesEverythingAndTellsTheOthers() {
        a.register(KEY_A);
        b.register(KEY_B);
        a.reserve(KEY_A, PrType.EXCLUSIVE_ACCESS);
        int generation = a.generation();
        assertConflict(b.out(CLEAR, null, KEY_A, 0, 0));
        assertGood(b.out(CLEAR, null, KEY_B, 0, 0));
        assertUnitAttention(a, 0x03);
        assertEquals(List.of(), a.keys());
        assertNull(a.reservation());
        assertEquals(generation + 1, a.generation());
        assertGood(b.initiator().command(0, Cdbs.testUnitReady()));
    }

    @Test
    void preemptWithoutAReservationRemovesTheRegistrationsWithThatKey() {
        a.register(KEY_A);
        b.register(KEY_B);
        int generation = a.generation();
        assertGood(b.out(PREEMPT, PrType.EXCLUSIVE_ACCESS, KEY_B, KEY_A, 0));
        assertEquals(List.of(KEY_B), b.keys());
        assertEquals(generation + 1, b.generation());
        assertNull(b.reservation(), "without a reservation PREEMPT creates none");
        assertUnitAttention(a, 0x05);
    }

    @Test
    void preemptingTheHolderTakesTheReservationOver() {
        a.register(KEY_A);
        b.register(KEY_B);
        a.reserve(KEY_A, PrType.EXCLUSIVE_ACCESS);
        assertGood(b.out(PREEMPT, PrType.WRITE_EXCLUSIVE, KEY_B, KEY_A, 0));
        assertArrayEquals(new long[] {KEY_B, 1}, b.reservation());
        assertEquals(List.of(KEY_B), b.keys());
        assertUnitAttention(a, 0x05);
    }

    @Test
    void preemptWithKeyZeroOrAnUnknownKey() {
        a.register(KEY_A);
        b.register(KEY_B);
        Reply zero = b.out(PREEMPT, PrType.EXCLUSIVE_ACCESS, KEY_B, 0, 0);
        assertSense(zero, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(8, zero.fieldPointer(), "points at the SERVICE ACTION RESERVATION KEY");
        assertConflict(b.out(PREEMPT, PrType.EXCLUSIVE_ACCESS, KEY_B, 0x1234, 0));

        a.reserve(KEY_A, PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS);
        assertGood(b.out(PREEMPT, PrType.EXCLUSIVE_ACCESS, KEY_B, 0, 0));
        assertArrayEquals(new long[] {KEY_B, 3}, b.reservation(), "key 0 takes an all registrants reservation");
        assertEquals(List.of(KEY_B), b.keys());
    }

    @Test
    void preemptAndAbortCompletesOnlyAfterThePreemptedNexussCommands() {
        a.register(KEY_A);
        b.register(KEY_B);
        a.reserve(KEY_A, PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
        LbaRangeLocks.Lease held = lun.rangeLocks().acquire(10, 1).join();
        Initiator.Pending write = b.initiator().start(0, Cdbs.write10(10, 1), DataDirection.WRITE, 512,
                new byte[512]);
        Initiator.Pending preempt = a.initiator().start(0, Cdbs.persistentReserveOut(PREEMPT_AND_ABORT,
                PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY.code, 24), DataDirection.WRITE, 24,
                Cdbs.proutParameters(KEY_A, KEY_B, 0));
        assertFalse(preempt.future().isDone(), "B's write is still in flight");
        assertSense(b.initiator().read(0, Cdbs.read10(0, 1), 512), Sense.UNIT_ATTENTION, 0x2A, 0x05);
        assertConflict(b.initiator().read(0, Cdbs.read10(0, 1), 512));

        held.release();
        assertGood(Initiator.complete(write));
        assertGood(Initiator.complete(preempt));
        assertEquals(List.of(KEY_A), a.keys());
    }

    @Test
    void reportCapabilitiesListsEveryTypeAndNoPersistenceWithoutAStateDirectory() {
        b.register(KEY_B);
        byte[] d = a.in(2, 8).data();
        assertEquals(8, Cdb.u16(d, 0));
        assertEquals(0x0C, d[2] & 0xFF, "SIP_C and ATP_C, no PTPL_C");
        assertEquals(0x80 | 0x30, d[3] & 0xFF, "TMV, ALLOW COMMANDS 011b, PTPL_A=0");
        assertEquals(0xEA01, Cdb.u16(d, 4));
    }

    @Test
    void readFullStatusDescribesEachRegistrationWithItsTransportId() {
        a.register(KEY_A);
        b.register(KEY_B);
        b.reserve(KEY_B, PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
        byte[] d = a.in(3, 1024).data();
        assertEquals(d.length - 8, Cdb.u32(d, 4));
        int second = 8 + 24 + (int) Cdb.u32(d, 8 + 20);
        assertEquals(KEY_A, Cdb.u64(d, 8));
        assertEquals(0, d[8 + 12], "A does not hold the reservation");
        assertEquals(KEY_B, Cdb.u64(d, second));
        assertEquals(1, d[second + 12], "R_HOLDER");
        assertEquals(6, d[second + 13]);
        assertEquals(1, Cdb.u16(d, second + 18), "relative target port");
        assertEquals(0x45, d[second + 24] & 0xFF, "iSCSI initiator port TransportID");
        int length = Cdb.u16(d, second + 26);
        assertEquals(0, length % 4);
        String name = new String(Arrays.copyOfRange(d, second + 28, second + 28 + length), StandardCharsets.UTF_8);
        assertEquals(NEXUS_B.initiatorPortName(), name.substring(0, name.indexOf('\0')));
    }

    @Test
    void malformedCommandsAreRefused() {
        assertInvalidField(a.in(4, 64), 1, 4);
        assertInvalidField(a.initiator().write(0, Cdbs.persistentReserveOut(8, 0, 24), new byte[24]), 1, 4);
        assertSense(a.initiator().write(0, Cdbs.persistentReserveOut(REGISTER, 0, 23), new byte[23]),
                Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
        Reply aptpl = a.out(REGISTER, null, 0, KEY_A, PrInitiator.APTPL);
        assertSense(aptpl, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(20, aptpl.fieldPointer());
        assertEquals(0, aptpl.bitPointer());
        assertSense(a.out(REGISTER, null, 0, KEY_A, PrInitiator.SPEC_I_PT), Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
        assertEquals(List.of(), a.keys());
    }

    @Test
    void registrationsForbidSpc2ReservationsAndSpc2ReservationsForbidPersistentOnes() {
        byte[] reserve6 = Cdbs.cdb(0x16, 0, 0, 0, 0, 0);
        a.register(KEY_A);
        assertConflict(b.initiator().command(0, reserve6));
        assertConflict(a.initiator().command(0, Cdbs.cdb(0x17, 0, 0, 0, 0, 0)));
        assertGood(a.out(REGISTER, null, KEY_A, 0, 0));

        assertGood(b.initiator().command(0, reserve6));
        assertConflict(a.in(0, 8));
        assertConflict(a.out(REGISTER, null, 0, KEY_A, 0));
    }

    @Test
    void resetsAndLogoutsKeepPersistentReservations() {
        a.register(KEY_A);
        a.reserve(KEY_A, PrType.EXCLUSIVE_ACCESS);
        target.logicalUnitReset(NEXUS_B, 0);
        target.targetReset(NEXUS_B);
        target.nexusLoggedOut(NEXUS_A);
        target.nexusLoggedIn(NEXUS_A);
        assertSense(a.initiator().command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0x00);
        assertArrayEquals(new long[] {KEY_A, 3}, a.reservation());
        assertTrue(lun.persistentReservation().hasRegistrations());
    }
}
