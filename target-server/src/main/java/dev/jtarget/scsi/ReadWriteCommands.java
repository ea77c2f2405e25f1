package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * READ and WRITE (6), (10), (12), (16) (SBC-3 §5.7-5.33).
 *
 * <p>When the CDB and the iSCSI expected data transfer length disagree, only what both allow moves: a READ sends at
 * most EDTL bytes (overflow), a WRITE stores only the whole blocks EDTL covers (libiscsi's residual tests check
 * that the blocks past EDTL stay untouched). A WRITE whose EDTL ends inside a block is refused, since writing part of
 * a block is impossible and padding it would store garbage.
 */
final class ReadWriteCommands {
    private ReadWriteCommands() {
    }

    static CompletableFuture<ScsiResponse> read(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        if (LbaRange.cdbSize(cdb) > 6 && Cdb.bits(cdb, 1, 5, 3) != 0) {
            throw Cdb.invalidField(1, 7); // RDPROTECT: we keep no protection information
        }
        LbaRange range = checkedRange(cdb, lu);
        // FUA on a read asks for the medium's data rather than a cache's; a cache below us returns the newest data
        // either way, so the result is the same. DPO and the group number are hints we do not use.
        return readBlocks(request.command(), lu, range.lba(), range.blocks() * lu.blockSize());
    }

    /** Reads {@code wanted} bytes from {@code lba}, sending only as many as the initiator can take. */
    static CompletableFuture<ScsiResponse> readBlocks(ScsiCommand command, LogicalUnit lu, long lba, long wanted) {
        int send = (int) Math.min(wanted, Transfers.dataInCapacity(command));
        if (send == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, wanted));
        }
        return BlockIo.readShared(lu, lba, send)
                .thenApply(data -> Transfers.withResidual(command, ScsiResponse.GOOD, null, data, wanted));
    }

    static CompletableFuture<ScsiResponse> write(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        boolean sixByte = LbaRange.cdbSize(cdb) == 6;
        if (!sixByte && Cdb.bits(cdb, 1, 5, 3) != 0) {
            throw Cdb.invalidField(1, 7); // WRPROTECT
        }
        checkWritable(lu);
        LbaRange range = checkedRange(cdb, lu);
        return writeBlocks(request.command(), lu, range, lu.durable(!sixByte && Cdb.bit(cdb, 1, 3)));
    }

    /** DATA PROTECT / WRITE PROTECTED for a read-only logical unit. */
    static void checkWritable(LogicalUnit lu) {
        if (lu.readOnly()) {
            throw new CheckCondition(Sense.WRITE_PROTECTED);
        }
    }

    /** The CDB's range after the transfer-length and capacity checks every block command makes. */
    static LbaRange checkedRange(byte[] cdb, LogicalUnit lu) {
        LbaRange range = LbaRange.of(cdb);
        range.checkLength(cdb, lu.limits().maxTransferBlocks());
        range.checkWithin(lu.blockCount());
        return range;
    }

    /** Writes the range from Data-Out, trimmed to what EDTL covers (see the class comment). */
    static CompletableFuture<ScsiResponse> writeBlocks(ScsiCommand command, LogicalUnit lu, LbaRange range,
                                                       boolean fua) {
        int blockSize = lu.blockSize();
        long wanted = range.blocks() * blockSize;
        long announced = Transfers.dataOutExpected(command);
        long blocks = range.blocks();
        if (wanted > announced) {
            if (announced % blockSize != 0) {
                return CompletableFuture.completedFuture(Transfers.withResidual(command,
                        ScsiResponse.CHECK_CONDITION, lu.encode(Sense.INVALID_FIELD_IN_INFORMATION_UNIT), null,
                        wanted));
            }
            blocks = announced / blockSize;
        }
        if (blocks == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, wanted));
        }
        ByteBuf data = Transfers.dataOut(command, blocks * blockSize);
        return BlockIo.write(lu, range.lba(), data, fua).thenApply(done -> Transfers.good(command, wanted));
    }
}
