package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.backend.BackendException.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Backend failures become the sense data SBC-3 and the brief name for them; the future itself never fails. */
class BackendErrorTest {
    private final RecordingBackend backend = new RecordingBackend();
    private final Initiator initiator = new Initiator(Luns.target(Luns.lun(0, backend, true, false)), NEXUS_A);

    @ParameterizedTest
    @CsvSource({
        "READ_ERROR, 3, 0x11, 0x00",
        "NOT_READY, 2, 0x04, 0x01",
        "OUT_OF_RANGE, 4, 0x44, 0x00",
    })
    void failedReadsMapToSenseAndSendNoData(Kind kind, int key, String asc, String ascq) {
        backend.failWith = kind;
        Reply reply = initiator.read(0, Cdbs.read10(0, 4), 4 * BLOCK_SIZE);
        assertSense(reply, key, Integer.decode(asc), Integer.decode(ascq));
        assertEquals(0, reply.data().length);
    }

    @ParameterizedTest
    @CsvSource({
        "WRITE_ERROR, 3, 0x0C, 0x00",
        "NO_SPACE, 7, 0x27, 0x07",
        "NOT_READY, 2, 0x04, 0x01",
        "READ_ONLY, 7, 0x27, 0x00",
    })
    void failedWritesMapToSense(Kind kind, int key, String asc, String ascq) {
        backend.failWith = kind;
        assertSense(initiator.write(0, Cdbs.write10(0, 1), new byte[BLOCK_SIZE]), key, Integer.decode(asc),
                Integer.decode(ascq));
    }

    @ParameterizedTest
    @CsvSource({"WRITE_ERROR", "NO_SPACE"})
    void failedUnmapAndWriteSameMapToSense(Kind kind) {
        backend.failWith = kind;
        byte[] list = new byte[24];
        Cdb.put16(list, 0, 22);
        Cdb.put16(list, 2, 16);
        Cdb.put64(list, 8, 0);
        Cdb.put32(list, 16, 8);
        int asc = kind == Kind.NO_SPACE ? 0x27 : 0x0C;
        assertEquals(asc, initiator.write(0, Cdbs.unmap(list.length), list).asc());
        assertEquals(asc, initiator.write(0, Cdbs.writeSame16(0, 8, false, false), new byte[BLOCK_SIZE]).asc());
    }
}
