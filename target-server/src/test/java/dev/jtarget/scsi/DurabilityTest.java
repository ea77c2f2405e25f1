package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How WCE, FUA and SYNCHRONIZE CACHE reach the backend. */
class DurabilityTest {
    private final RecordingBackend backend = new RecordingBackend();

    private Initiator initiator(boolean writeCache) {
        return new Initiator(Luns.target(Luns.lun(0, backend, writeCache, false)), NEXUS_A);
    }

    @Test
    void withTheWriteCacheOnAPlainWriteIsNotForcedToTheMedium() {
        assertGood(initiator(true).write(0, Cdbs.write10(2, 1), new byte[BLOCK_SIZE]));
        assertEquals(List.of("write 1024+512 fua=false"), backend.calls);
    }

    @Test
    void fuaForcesTheWriteEvenWithTheWriteCacheOn() {
        byte[] cdb = Cdbs.write16(2, 1);
        cdb[1] = 0x08;
        assertGood(initiator(true).write(0, cdb, new byte[BLOCK_SIZE]));
        assertEquals(List.of("write 1024+512 fua=true"), backend.calls);
    }

    @Test
    void withTheWriteCacheOffEveryWriteIsForced() {
        Initiator initiator = initiator(false);
        assertGood(initiator.write(0, Cdbs.write10(0, 1), new byte[BLOCK_SIZE]));
        assertGood(initiator.write(0, Cdbs.write6(0, 1), new byte[BLOCK_SIZE]));
        assertEquals(List.of("write 0+512 fua=true", "write 0+512 fua=true"), backend.calls);
    }

    @Test
    void synchronizeCacheAnswersOnlyAfterTheFlushCompletes() {
        backend.holdFlushes = true;
        Initiator initiator = initiator(true);
        Initiator.Pending pending = initiator.start(0, Cdbs.synchronizeCache10(0, 0, false), DataDirection.NONE, 0,
                null);
        assertEquals(List.of("flush"), backend.calls);
        assertFalse(pending.future().isDone(), "no GOOD before the data is durable");

        backend.heldFlushes.getFirst().complete(null);
        assertGood(Initiator.complete(pending));
    }

    @Test
    void synchronizeCacheWithImmedAnswersAtOnceAfterStartingTheFlush() {
        backend.holdFlushes = true;
        Reply reply = initiator(true).command(0, Cdbs.synchronizeCache10(0, 0, true));
        assertGood(reply);
        assertEquals(List.of("flush"), backend.calls);
        backend.heldFlushes.getFirst().complete(null);
    }

    @Test
    void synchronizeCache16FlushesAndChecksItsRange() {
        Initiator initiator = initiator(true);
        assertGood(initiator.command(0, Cdbs.synchronizeCache16(0, Luns.BLOCKS)));
        assertSense(initiator.command(0, Cdbs.synchronizeCache16(Luns.BLOCKS, 1)), Sense.ILLEGAL_REQUEST, 0x21, 0);
        assertEquals(List.of("flush"), backend.calls);
    }

    @Test
    void aFailedFlushIsReportedAsAWriteError() {
        backend.failWith = BackendException.Kind.WRITE_ERROR;
        assertSense(initiator(true).command(0, Cdbs.synchronizeCache10(0, 0, false)), Sense.MEDIUM_ERROR, 0x0C, 0);
    }

    @Test
    void turningTheWriteCacheOffFlushesBeforeModeSelectCompletes() {
        Initiator initiator = initiator(true);
        byte[] d = initiator.read(0, Cdbs.modeSense6(0, 0x08, 0, 255, true), 255).data();
        byte[] list = Arrays.copyOf(d, d.length);
        list[0] = 0;
        list[4 + 2] &= ~0x04;
        backend.holdFlushes = true;

        Initiator.Pending pending = initiator.start(0, Cdbs.modeSelect6(list.length), DataDirection.WRITE,
                list.length, list);
        assertEquals(List.of("flush"), backend.calls);
        assertFalse(pending.future().isDone());
        backend.heldFlushes.getFirst().complete(null);
        assertGood(Initiator.complete(pending));

        assertGood(initiator.write(0, Cdbs.write10(0, 1), new byte[BLOCK_SIZE]));
        assertEquals("write 0+512 fua=true", backend.calls.getLast());
    }

    @Test
    void turningTheWriteCacheOnNeedsNoFlush() {
        Initiator initiator = initiator(false);
        byte[] d = initiator.read(0, Cdbs.modeSense6(0, 0x08, 0, 255, true), 255).data();
        byte[] list = Arrays.copyOf(d, d.length);
        list[0] = 0;
        list[4 + 2] |= 0x04;
        assertGood(initiator.write(0, Cdbs.modeSelect6(list.length), list));
        assertTrue(backend.calls.isEmpty());
    }

    @Test
    void stopUnitFlushesUnlessNoFlushIsSet() {
        Initiator initiator = initiator(true);
        assertGood(initiator.command(0, Cdbs.startStopUnit(0x04))); // NO_FLUSH, stop
        assertTrue(backend.calls.isEmpty());
        assertGood(initiator.command(0, Cdbs.startStopUnit(0x00)));
        assertEquals(List.of("flush"), backend.calls);
    }

    @Test
    void flushAllFlushesEveryLun() {
        RecordingBackend other = new RecordingBackend();
        ScsiTarget target = Luns.target(Luns.lun(0, backend, true, false), Luns.lun(3, other, true, false));
        target.flushAll().join();
        assertEquals(List.of("flush"), backend.calls);
        assertEquals(List.of("flush"), other.calls);
    }
}
