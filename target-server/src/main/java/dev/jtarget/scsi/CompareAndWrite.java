package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * COMPARE AND WRITE (SBC-3 §5.2): the Data-Out buffer holds the verify data and then the write data, NUMBER OF
 * LOGICAL BLOCKS each. The blocks are read, compared and written under the LBA range lock, which every writer takes,
 * so no other write to those blocks can slip in between (VMware ATS relies on this for its on-disk locks).
 */
final class CompareAndWrite {
    private static final int NUMBER_OF_BLOCKS_AT = 13;

    private CompareAndWrite() {
    }

    static CompletableFuture<ScsiResponse> compareAndWrite(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ScsiCommand command = request.command();
        if (Cdb.bits(cdb, 1, 5, 3) != 0) {
            throw Cdb.invalidField(1, 7); // WRPROTECT
        }
        ReadWriteCommands.checkWritable(lu);
        int blocks = Cdb.u8(cdb, NUMBER_OF_BLOCKS_AT);
        if (blocks > lu.limits().maxCompareAndWriteBlocks()) {
            throw Cdb.invalidField(NUMBER_OF_BLOCKS_AT, -1);
        }
        long lba = Cdb.u64(cdb, 2);
        new LbaRange(lba, blocks).checkWithin(lu.blockCount());
        int bytes = blocks * lu.blockSize();
        // The Data-Out buffer is split in half by NUMBER OF LOGICAL BLOCKS; when its length says otherwise the
        // initiator and the CDB disagree about which bytes are verify data, and nothing may be written.
        if (Transfers.dataOutExpected(command) != 2L * bytes) {
            throw Cdb.invalidField(NUMBER_OF_BLOCKS_AT, -1);
        }
        if (blocks == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, 0)); // not an error (SBC-3 §5.2)
        }
        ByteBuf data = Transfers.dataOut(command, 2L * bytes);
        ByteBuf verifyData = data.slice(data.readerIndex(), bytes);
        ByteBuf writeData = data.slice(data.readerIndex() + bytes, bytes);
        boolean fua = lu.durable(Cdb.bit(cdb, 1, 3));
        return BlockIo.locked(lu, lba, blocks, () -> BlockIo.read(lu, lba, bytes).thenCompose(current -> {
            int mismatch;
            try {
                mismatch = VerifyCommands.firstMismatch(verifyData, current, bytes, true);
            } finally {
                current.release();
            }
            if (mismatch >= 0) {
                // INFORMATION: offset of the first differing byte from the start of the Data-Out buffer.
                throw new CheckCondition(Sense.MISCOMPARE_DURING_VERIFY.withInformation(mismatch));
            }
            return BlockIo.writeLocked(lu, lba, writeData, fua);
        })).thenApply(done -> Transfers.good(command, 2L * bytes));
    }
}
