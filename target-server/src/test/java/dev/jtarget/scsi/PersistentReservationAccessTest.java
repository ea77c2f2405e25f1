package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which commands of a non-holder conflict under each reservation type (SPC-4 §5.9.1, SBC-3 Table 13). */
class PersistentReservationAccessTest {
    private static final long HOLDER_KEY = 0x1111;
    private static final long OTHER_KEY = 0x2222;

    private final ScsiTarget target = Luns.target(Luns.memoryLun(0));
    private final PrInitiator holder = new PrInitiator(new Initiator(target, NEXUS_A));
    private final PrInitiator other = new PrInitiator(new Initiator(target, NEXUS_B));

    private boolean allowed(byte[] cdb, DataDirection direction, int length) {
        int status = other.initiator().send(0, cdb, direction, length,
                direction == DataDirection.WRITE ? new byte[length] : null).status();
        return status != ScsiResponse.RESERVATION_CONFLICT;
    }

    @ParameterizedTest(name = "{0}: registered reads {1} writes {2}, unregistered reads {3} writes {4}")
    @CsvSource({
            "WRITE_EXCLUSIVE, true, false, true, false",
            "EXCLUSIVE_ACCESS, false, false, false, false",
            "WRITE_EXCLUSIVE_REGISTRANTS_ONLY, true, true, true, false",
            "EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, true, true, false, false",
            "WRITE_EXCLUSIVE_ALL_REGISTRANTS, true, true, true, false",
            "EXCLUSIVE_ACCESS_ALL_REGISTRANTS, true, true, false, false"})
    void readsAndWritesOfTheOtherNexus(PrType type, boolean registeredReads, boolean registeredWrites,
                                       boolean unregisteredReads, boolean unregisteredWrites) {
        holder.register(HOLDER_KEY);
        other.register(OTHER_KEY);
        holder.reserve(HOLDER_KEY, type);
        assertAccess(registeredReads, registeredWrites);
        assertEquals(ScsiResponse.GOOD, other.out(PrInitiator.REGISTER, null, OTHER_KEY, 0, 0).status());
        assertAccess(unregisteredReads, unregisteredWrites);
        assertTrue(allowedForHolder(), "the holder may do everything");
    }

    private void assertAccess(boolean reads, boolean writes) {
        assertEquals(reads, allowed(Cdbs.read10(1, 1), DataDirection.READ, 512), "READ(10)");
        assertEquals(reads, allowed(Cdbs.modeSense6(0, 0x3F, 0, 255, false), DataDirection.READ, 255), "MODE SENSE");
        assertEquals(writes, allowed(Cdbs.write10(1, 1), DataDirection.WRITE, 512), "WRITE(10)");
        assertEquals(writes, allowed(Cdbs.synchronizeCache10(0, 0, false), DataDirection.NONE, 0), "SYNC CACHE");
        assertEquals(writes, allowed(Cdbs.startStopUnit(0), DataDirection.NONE, 0), "START STOP UNIT, stop");
        assertTrue(allowed(Cdbs.startStopUnit(1), DataDirection.NONE, 0), "START STOP UNIT, start");
        assertTrue(allowed(Cdbs.testUnitReady(), DataDirection.NONE, 0), "TEST UNIT READY");
        assertTrue(allowed(Cdbs.readCapacity10(), DataDirection.READ, 8), "READ CAPACITY");
        assertTrue(allowed(Cdbs.persistentReserveIn(0, 64), DataDirection.READ, 64), "PR IN");
        assertTrue(allowed(Cdbs.preventAllow(0), DataDirection.NONE, 0), "PREVENT ALLOW, allow");
    }

    private boolean allowedForHolder() {
        return holder.initiator().write(0, Cdbs.write10(1, 1), new byte[512]).status() == ScsiResponse.GOOD
                && holder.initiator().read(0, Cdbs.read10(1, 1), 512).status() == ScsiResponse.GOOD;
    }
}
