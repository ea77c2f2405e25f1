package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.PrInitiator.NEXUS_C;
import static dev.jtarget.scsi.PrInitiator.assertInvalidParameter;
import static dev.jtarget.scsi.PrInitiator.REGISTER_AND_MOVE;
import static dev.jtarget.scsi.PrInitiator.UNREG;
import static dev.jtarget.scsi.PrInitiator.transportId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PERSISTENT RESERVE OUT REGISTER AND MOVE (SPC-4 §5.9.8, §6.16.4). */
class RegisterAndMoveTest {
    private static final long KEY_A = 0xA1A1_0000_0000_000AL;
    private static final long KEY_B = 0xB2B2_0000_0000_000BL;
    private static final int PORT = 1;

    private final ScsiTarget target = Luns.target();
    private final PrInitiator a = PrInitiator.loggedIn(target, NEXUS_A);
    private final PrInitiator b = PrInitiator.loggedIn(target, NEXUS_B);

    @BeforeEach
    void reserve() {
        a.register(KEY_A);
        a.reserve(KEY_A, PrType.EXCLUSIVE_ACCESS);
    }

    private static void assertConflict(Reply reply) {
        assertEquals(ScsiResponse.RESERVATION_CONFLICT, reply.status());
    }

    private Reply write(PrInitiator initiator) {
        return initiator.initiator().write(0, Cdbs.write10(0, 1), new byte[512]);
    }

    @Test
    void theHolderMovesTheReservationToAnUnregisteredNexusWhichGetsTheKey() {
        int generation = a.generation();
        assertGood(a.move(KEY_A, KEY_B, 0, PORT, transportId(NEXUS_B)));
        assertArrayEquals(new long[] {KEY_B, PrType.EXCLUSIVE_ACCESS.code}, b.reservation(), "same type, B's key");
        assertEquals(List.of(KEY_A, KEY_B), a.keys(), "A stays registered without UNREG");
        assertEquals(generation + 1, a.generation());
        assertEquals(List.of(NEXUS_A.initiatorPortName(), NEXUS_B.initiatorPortName() + " holder"), a.fullStatus());
        assertGood(write(b));
        assertConflict(write(a));
        assertGood(b.initiator().command(0, Cdbs.testUnitReady()));
    }

    @Test
    void aRegisteredDestinationGetsTheServiceActionKeyAndUnregUnregistersTheSender() {
        b.register(KEY_B);
        assertGood(a.move(KEY_A, 0x77, UNREG, PORT, transportId(NEXUS_B)));
        assertEquals(List.of(0x77L), a.keys());
        assertArrayEquals(new long[] {0x77, PrType.EXCLUSIVE_ACCESS.code}, a.reservation());
        assertConflict(a.out(PrInitiator.RESERVE, PrType.EXCLUSIVE_ACCESS, KEY_A, 0, 0));
        assertGood(b.out(PrInitiator.RELEASE, PrType.EXCLUSIVE_ACCESS, 0x77, 0, 0));
    }

    @Test
    void aNexusThatHasNotLoggedInHoldsTheReservationFromItsLogin() {
        assertGood(a.move(KEY_A, KEY_B, 0, PORT, transportId(NEXUS_C)));
        assertEquals(List.of(NEXUS_A.initiatorPortName(), NEXUS_C.initiatorPortName() + " holder"), a.fullStatus());
        assertConflict(write(a));

        PrInitiator c = PrInitiator.loggedIn(target, NEXUS_C);
        assertGood(write(c));
        assertGood(c.out(PrInitiator.RELEASE, PrType.EXCLUSIVE_ACCESS, KEY_B, 0, 0));
    }

    @Test
    void onlyTheRegisteredHolderOfASingleHolderReservationMayMove() {
        assertConflict(b.move(0, KEY_B, 0, PORT, transportId(NEXUS_C)));
        b.register(KEY_B);
        assertConflict(b.move(KEY_B, KEY_B, 0, PORT, transportId(NEXUS_C)));
        assertConflict(a.move(KEY_B, KEY_B, 0, PORT, transportId(NEXUS_C))); // the holder, with B's key

        assertGood(a.out(PrInitiator.RELEASE, PrType.EXCLUSIVE_ACCESS, KEY_A, 0, 0));
        Reply none = a.move(KEY_A, KEY_B, 0, PORT, transportId(NEXUS_C));
        assertSense(none, Sense.ILLEGAL_REQUEST, 0x24, 0x00);

        a.reserve(KEY_A, PrType.WRITE_EXCLUSIVE_ALL_REGISTRANTS);
        assertConflict(a.move(KEY_A, KEY_B, 0, PORT, transportId(NEXUS_C)));
        assertEquals(List.of(KEY_A, KEY_B), a.keys(), "nothing registered by the failed moves");
    }

    @Test
    void malformedParameterListsChangeNothing() {
        assertInvalidParameter(a.move(KEY_A, 0, 0, PORT, transportId(NEXUS_B)), 8, -1);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT, transportId(NEXUS_A)), 24, -1);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, 2, transportId(NEXUS_B)), 18, -1);
        assertInvalidParameter(a.move(KEY_A, KEY_B, PrInitiator.APTPL, PORT, transportId(NEXUS_B)), 17, 0);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT,
                transportId(0x05, "iqn.2025-01.dev.jtarget:initiator-b")), 24, 7);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT, transportId(0x46, NEXUS_B.initiatorPortName())), 24, 3);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT,
                transportId(0x45, "iqn.2025-01.dev.jtarget:initiator-b")), 28, -1);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT,
                transportId(0x45, "iqn.2025-01.dev.jtarget:initiator-b,i,0x12g4")), 28, -1);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT, new byte[0]), 20, -1);

        byte[] short20 = transportId(NEXUS_B);
        Cdb.put16(short20, 2, 18);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT, short20), 26, -1);
        byte[] overrun = transportId(NEXUS_B);
        Cdb.put16(overrun, 2, overrun.length);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT, overrun), 20, -1);
        byte[] first = transportId(NEXUS_B);
        byte[] twice = Arrays.copyOf(first, 2 * first.length);
        System.arraycopy(transportId(NEXUS_C), 0, twice, first.length, first.length);
        assertInvalidParameter(a.move(KEY_A, KEY_B, 0, PORT, twice), 20, -1);

        byte[] list = new byte[24 + 32];
        Cdb.put16(list, 18, PORT);
        Cdb.put32(list, 20, 28);
        assertSense(a.raw(REGISTER_AND_MOVE, list), Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
        assertSense(a.raw(REGISTER_AND_MOVE, new byte[20]), Sense.ILLEGAL_REQUEST, 0x1A, 0x00);

        assertEquals(List.of(KEY_A), a.keys());
        assertArrayEquals(new long[] {KEY_A, PrType.EXCLUSIVE_ACCESS.code}, a.reservation());
    }
}
