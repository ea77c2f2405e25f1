package dev.jtarget.scsi;

import java.util.concurrent.CompletableFuture;

/** READ CAPACITY(10) and READ CAPACITY(16) (SBC-3 §5.15, §5.16). */
final class CapacityCommands {
    private static final long CAPACITY_10_LIMIT = 0xFFFF_FFFFL;

    private CapacityCommands() {
    }

    /** RETURNED LOGICAL BLOCK ADDRESS is FFFFFFFFh when the last LBA does not fit: use READ CAPACITY(16). */
    static CompletableFuture<ScsiResponse> readCapacity10(Request request) {
        byte[] cdb = request.cdb();
        checkPartialMediumIndicator(cdb, 2, 8);
        LogicalUnit lu = request.lu();
        byte[] data = new byte[8];
        Cdb.put32(data, 0, Math.min(lu.blockCount() - 1, CAPACITY_10_LIMIT));
        Cdb.put32(data, 4, lu.blockSize());
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, data.length));
    }

    /**
     * Also reports the LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT, LBPME (thin provisioning management) and LBPRZ
     * (unmapped blocks read zero). LOWEST ALIGNED LOGICAL BLOCK ADDRESS stays 0: LBA 0 starts a physical block.
     */
    static CompletableFuture<ScsiResponse> readCapacity16(Request request) {
        byte[] cdb = request.cdb();
        checkPartialMediumIndicator(cdb, 2, 14);
        LogicalUnit lu = request.lu();
        byte[] data = new byte[32];
        Cdb.put64(data, 0, lu.blockCount() - 1);
        Cdb.put32(data, 8, lu.blockSize());
        data[13] = (byte) lu.blocksPerPhysicalBlockExponent();
        data[14] = (byte) ((lu.canDiscard() ? 0x80 : 0) | (lu.discardReadsZeros() ? 0x40 : 0));
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, Cdb.u32(cdb, 10)));
    }

    /** With PMI=0 the LOGICAL BLOCK ADDRESS field must be zero (SBC-3 §5.15.1). */
    private static void checkPartialMediumIndicator(byte[] cdb, int lbaAt, int pmiAt) {
        boolean pmi = Cdb.bit(cdb, pmiAt, 0);
        boolean lbaSet = LbaRange.cdbSize(cdb) == 10 ? Cdb.u32(cdb, lbaAt) != 0 : Cdb.u64(cdb, lbaAt) != 0;
        if (!pmi && lbaSet) {
            throw Cdb.invalidField(lbaAt, -1);
        }
    }
}
