package dev.jtarget.scsi;

import java.util.concurrent.CompletableFuture;

/**
 * READ DEFECT DATA (10) and (12) (SBC-3 §5.19, §5.20). A virtual medium has no defects: both lists are reported
 * valid (PLISTV/GLISTV as requested) and empty, in the requested format, so there is nothing the format could
 * change.
 */
final class ReadDefectData {
    private static final int READ_DEFECT_DATA_10 = 0x37;

    private ReadDefectData() {
    }

    static CompletableFuture<ScsiResponse> readDefectData(Request request) {
        byte[] cdb = request.cdb();
        boolean ten = Cdb.u8(cdb, 0) == READ_DEFECT_DATA_10;
        int listsAndFormat = Cdb.bits(cdb, ten ? 2 : 1, 0, 5); // REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT
        byte[] header = new byte[ten ? 4 : 8];
        header[1] = (byte) listsAndFormat; // PLISTV, GLISTV, format; DEFECT LIST LENGTH stays 0
        long allocationLength = ten ? Cdb.u16(cdb, 7) : Cdb.u32(cdb, 6);
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), header, allocationLength));
    }
}
