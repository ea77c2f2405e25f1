package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.memory.MemoryBackend;
import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.LunConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** APTPL: registrations and the reservation survive a restart when the last registration asked for it. */
class PersistThroughPowerLossTest {
    private static final long KEY_A = 0xAAAA;
    private static final long KEY_B = 0xBBBB;

    @TempDir
    Path stateDirectory;

    /** A fresh logical unit over the same state directory: what a restart of the server sees. */
    private PrInitiator restart(ItNexus nexus) {
        LogicalUnit lun = LogicalUnit.create(Initiator.TARGET_NAME,
                new LunConfig(0, true, 512, false, new BackendConfig.Memory(1 << 20)),
                new MemoryBackend(1 << 20, 512), stateDirectory);
        return new PrInitiator(new Initiator(Luns.target(lun), nexus));
    }

    private Path stateFile() {
        return stateDirectory.resolve("iqn.2025-01.dev.jtarget_test-target-lun0.pr");
    }

    @Test
    void registrationsAndTheReservationSurviveARestartWithAptpl() {
        PrInitiator a = restart(NEXUS_A);
        assertGood(a.out(PrInitiator.REGISTER, null, 0, KEY_A, PrInitiator.APTPL));
        a.reserve(KEY_A, PrType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        byte[] capabilities = a.in(2, 8).data();
        assertEquals(0x0D, capabilities[2] & 0xFF, "SIP_C, ATP_C and PTPL_C");
        assertEquals(0x01, capabilities[3] & 0x01, "PTPL_A");
        int generation = a.generation();

        PrInitiator afterRestart = restart(NEXUS_B);
        assertEquals(List.of(KEY_A), afterRestart.keys());
        assertArrayEquals(new long[] {KEY_A, 5}, afterRestart.reservation());
        assertEquals(generation, afterRestart.generation());
        assertEquals(ScsiResponse.RESERVATION_CONFLICT,
                afterRestart.initiator().write(0, Cdbs.write10(0, 1), new byte[512]).status());
        PrInitiator holder = new PrInitiator(new Initiator(Luns.target(), NEXUS_A));
        assertEquals(List.of(), holder.keys(), "a LUN without a state directory starts empty");
    }

    @Test
    void aMovedReservationSurvivesARestart() {
        PrInitiator a = restart(NEXUS_A);
        assertGood(a.out(PrInitiator.REGISTER, null, 0, KEY_A, 0));
        a.reserve(KEY_A, PrType.EXCLUSIVE_ACCESS);
        assertGood(a.move(KEY_A, KEY_B, PrInitiator.UNREG | PrInitiator.APTPL, 1, PrInitiator.transportId(NEXUS_B)));

        PrInitiator b = restart(NEXUS_B);
        assertEquals(List.of(KEY_B), b.keys());
        assertArrayEquals(new long[] {KEY_B, PrType.EXCLUSIVE_ACCESS.code}, b.reservation());
        assertEquals(List.of(NEXUS_B.initiatorPortName() + " holder"), b.fullStatus());
        assertGood(b.initiator().write(0, Cdbs.write10(0, 1), new byte[512]));
    }

    @Test
    void registrationsOfSpecifiedPortsSurviveARestart() {
        PrInitiator a = restart(NEXUS_A);
        assertGood(a.registerSpecifying(PrInitiator.REGISTER, 0, KEY_A, PrInitiator.APTPL,
                PrInitiator.transportId(PrInitiator.NEXUS_C)));

        PrInitiator c = restart(PrInitiator.NEXUS_C);
        assertEquals(List.of(NEXUS_A.initiatorPortName(), PrInitiator.NEXUS_C.initiatorPortName()), c.fullStatus());
        c.reserve(KEY_A, PrType.WRITE_EXCLUSIVE);
    }

    @Test
    void aRegistrationWithoutAptplForgetsTheStoredState() {
        PrInitiator a = restart(NEXUS_A);
        assertGood(a.out(PrInitiator.REGISTER, null, 0, KEY_A, PrInitiator.APTPL));
        assertTrue(Files.exists(stateFile()));
        assertGood(a.out(PrInitiator.REGISTER_AND_IGNORE, null, 0, KEY_B, 0));
        assertFalse(Files.exists(stateFile()));
        assertEquals(List.of(), restart(NEXUS_A).keys());
        assertNull(restart(NEXUS_A).reservation());
    }

    @Test
    void anUnreadableStateFileStopsTheLogicalUnitFromStarting() throws IOException {
        Files.writeString(stateFile(), "something else\n");
        assertThrows(UncheckedIOException.class, () -> restart(NEXUS_A));
    }
}
