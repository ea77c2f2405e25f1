package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * WRITE ATOMIC(16) (SBC-4 §5.48, §4.29): the blocks are written as one atomic write operation. It holds an
 * {@link LbaRangeLocks.Mode#ATOMIC_WRITE} lock on its blocks, so no other write and no read of any of them runs while
 * it does: every other command sees all the old data or all the new data (SBC-4 §4.29.3). The Block Limits VPD page
 * advertises the limits checked here ({@link BlockLimits}).
 *
 * <p>Not covered: atomicity across a crash of the server or a power loss in the middle of the backend write. The
 * backend (and the write-back cache below) write the blocks as ordinary writes, so such a crash can leave some of
 * them new and some old, as with any write.
 */
final class WriteAtomic {
    private static final int LBA_AT = 2;
    private static final int TRANSFER_LENGTH_AT = 12;

    private WriteAtomic() {
    }

    static CompletableFuture<ScsiResponse> writeAtomic(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ScsiCommand command = request.command();
        if (Cdb.bits(cdb, 1, 5, 3) != 0) {
            throw Cdb.invalidField(1, 7); // WRPROTECT: we keep no protection information
        }
        ReadWriteCommands.checkWritable(lu);
        // TRANSFER LENGTH is two bytes here: bytes 10-11 hold the ATOMIC BOUNDARY, which the CDB usage map keeps 0.
        LbaRange range = new LbaRange(Cdb.u64(cdb, LBA_AT), Cdb.u16(cdb, TRANSFER_LENGTH_AT));
        BlockLimits limits = lu.limits();
        if (range.blocks() > limits.maxAtomicTransferBlocks() || range.blocks() % limits.atomicGranularity() != 0) {
            throw Cdb.invalidField(TRANSFER_LENGTH_AT, -1);
        }
        if (Long.remainderUnsigned(range.lba(), limits.atomicAlignment()) != 0) {
            throw Cdb.invalidField(LBA_AT, -1);
        }
        range.checkWithin(lu.blockCount());
        int bytes = (int) range.blocks() * lu.blockSize();
        if (bytes == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, 0)); // not an error (SBC-4 §5.48)
        }
        // All blocks or none: with less Data-Out than the CDB asks for this fails before anything is written.
        ByteBuf data = Transfers.dataOut(command, bytes);
        boolean fua = lu.durable(Cdb.bit(cdb, 1, 3));
        return BlockIo.locked(lu, range.lba(), range.blocks(), LbaRangeLocks.Mode.ATOMIC_WRITE,
                () -> BlockIo.writeLocked(lu, range.lba(), data, fua)).thenApply(done -> Transfers.good(command, bytes));
    }
}
