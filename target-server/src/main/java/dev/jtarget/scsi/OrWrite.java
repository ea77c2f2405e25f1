package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * ORWRITE(16) (SBC-3 §5.11): each block becomes the bitwise OR of what it holds and the Data-Out data. The blocks are
 * read, combined and written back under the LBA range lock, so no other writer of those blocks can slip in between
 * and have its data lost.
 */
final class OrWrite {
    private OrWrite() {
    }

    static CompletableFuture<ScsiResponse> orWrite(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ScsiCommand command = request.command();
        if (Cdb.bits(cdb, 1, 5, 3) != 0) {
            throw Cdb.invalidField(1, 7); // ORPROTECT: we keep no protection information
        }
        ReadWriteCommands.checkWritable(lu);
        LbaRange range = ReadWriteCommands.checkedRange(cdb, lu);
        int bytes = (int) (range.blocks() * lu.blockSize());
        if (bytes == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, 0));
        }
        ByteBuf data = Transfers.dataOut(command, bytes);
        boolean fua = lu.durable(Cdb.bit(cdb, 1, 3));
        return BlockIo.locked(lu, range.lba(), range.blocks(), () -> BlockIo.read(lu, range.lba(), bytes)
                .thenCompose(current -> {
                    // Whole blocks, so a multiple of 8 bytes: OR a long at a time.
                    for (int i = 0; i < bytes; i += Long.BYTES) {
                        current.setLong(i, current.getLong(i) | data.getLong(data.readerIndex() + i));
                    }
                    return BlockIo.writeLocked(lu, range.lba(), current, fua)
                            .whenComplete((done, failure) -> current.release());
                })).thenApply(done -> Transfers.good(command, bytes));
    }
}
