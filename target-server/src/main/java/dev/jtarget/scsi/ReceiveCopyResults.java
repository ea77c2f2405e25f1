package dev.jtarget.scsi;

import dev.jtarget.scsi.HeldCopyResults.CopyStatus;
import java.util.concurrent.CompletableFuture;

/** RECEIVE COPY RESULTS (SPC-4 §6.18) for EXTENDED COPY (LID1): COPY STATUS and OPERATING PARAMETERS. */
final class ReceiveCopyResults {
    private static final int COMPLETED_WITHOUT_ERRORS = 0x01;
    private static final int COMPLETED_WITH_ERRORS = 0x02;
    private static final int UNITS_BYTES = 0x00;
    private static final int UNITS_KIBIBYTES = 0xF1;
    /** Copies are not limited in number; this is the most the MAXIMUM CONCURRENT COPIES field can say. */
    private static final int CONCURRENT_COPIES = 0xFF;

    private ReceiveCopyResults() {
    }

    /**
     * The held outcome of the copy with this LIST IDENTIFIER from this nexus, which is then discarded. A copy
     * completes before its EXTENDED COPY does, so the status is never "in progress". None held: INVALID FIELD IN
     * CDB at the LIST IDENTIFIER (SPC-4 §6.18.3).
     */
    static CompletableFuture<ScsiResponse> copyStatus(Request request) {
        byte[] cdb = request.cdb();
        CopyStatus status = request.lu().heldCopyResults().take(request.command().nexus(), Cdb.u8(cdb, 2));
        if (status == null) {
            throw Cdb.invalidField(2, -1);
        }
        byte[] b = new byte[12];
        Cdb.put32(b, 0, b.length - 4);
        b[4] = (byte) (status.failed() ? COMPLETED_WITH_ERRORS : COMPLETED_WITHOUT_ERRORS);
        Cdb.put16(b, 5, status.segmentsProcessed());
        boolean fitsInBytes = status.bytesTransferred() <= 0xFFFF_FFFFL;
        b[7] = (byte) (fitsInBytes ? UNITS_BYTES : UNITS_KIBIBYTES);
        Cdb.put32(b, 8, fitsInBytes ? status.bytesTransferred() : status.bytesTransferred() >>> 10);
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), b, Cdb.u32(cdb, 10)));
    }

    /** The copy manager's limits and the descriptor types it implements (SPC-4 §6.18.5). */
    static CompletableFuture<ScsiResponse> operatingParameters(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        int[] implemented = {CopyParameters.BLOCK_TO_BLOCK, CopyParameters.IDENTIFICATION_DESCRIPTOR};
        byte[] b = new byte[44 + implemented.length];
        Cdb.put32(b, 0, b.length - 4);
        b[4] = 0x01; // SNLID: LIST ID USAGE 11b (no list identifier) is supported
        Cdb.put16(b, 8, CopyParameters.MAX_TARGET_DESCRIPTORS);
        Cdb.put16(b, 10, CopyParameters.MAX_SEGMENT_DESCRIPTORS);
        Cdb.put32(b, 12, CopyParameters.MAX_DESCRIPTOR_LIST_LENGTH);
        // A block-to-block segment counts at most FFFFh blocks; copies are chunked, so that is the only bound.
        Cdb.put32(b, 16, 0xFFFFL * lu.blockSize());
        Cdb.put16(b, 34, CONCURRENT_COPIES);
        b[36] = (byte) CONCURRENT_COPIES;
        b[37] = (byte) Integer.numberOfTrailingZeros(lu.blockSize()); // DATA SEGMENT GRANULARITY: whole blocks
        b[43] = (byte) implemented.length;
        for (int i = 0; i < implemented.length; i++) {
            b[44 + i] = (byte) implemented[i];
        }
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), b, Cdb.u32(cdb, 10)));
    }
}
