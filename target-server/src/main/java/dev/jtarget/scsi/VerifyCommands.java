package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/** VERIFY and WRITE AND VERIFY (10), (12), (16) (SBC-3 §5.34-5.38). */
final class VerifyCommands {
    private static final int NO_COMPARE = 0b00;
    private static final int COMPARE_ALL = 0b01;
    private static final int COMPARE_ONE_BLOCK_TO_EACH = 0b11;

    private VerifyCommands() {
    }

    /**
     * BYTCHK 00b checks only the range: the medium holds no checksums to recheck. 01b compares the Data-Out buffer
     * with the blocks, 11b compares the single block sent with every block of the range; a difference is MISCOMPARE
     * with the offset of the first differing byte in the INFORMATION field.
     */
    static CompletableFuture<ScsiResponse> verify(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ScsiCommand command = request.command();
        if (Cdb.bits(cdb, 1, 5, 3) != 0) {
            throw Cdb.invalidField(1, 7); // VRPROTECT
        }
        int byteCheck = Cdb.bits(cdb, 1, 1, 2);
        if (byteCheck != NO_COMPARE && byteCheck != COMPARE_ALL && byteCheck != COMPARE_ONE_BLOCK_TO_EACH) {
            throw Cdb.invalidField(1, 2);
        }
        if (byteCheck == NO_COMPARE) {
            // Nothing is transferred, so the maximum transfer length does not apply (SBC-3 §6.5.3).
            LbaRange.of(cdb).checkWithin(lu.blockCount());
            return CompletableFuture.completedFuture(Transfers.good(command, 0));
        }
        LbaRange range = ReadWriteCommands.checkedRange(cdb, lu);
        if (range.blocks() == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, 0));
        }
        int blockSize = lu.blockSize();
        int rangeBytes = (int) (range.blocks() * blockSize);
        int sent = byteCheck == COMPARE_ALL ? rangeBytes : blockSize;
        ByteBuf expected = Transfers.dataOut(command, sent);
        return BlockIo.readShared(lu, range.lba(), rangeBytes).thenApply(actual -> {
            try {
                int mismatch = firstMismatch(expected, actual, blockSize, byteCheck == COMPARE_ALL);
                if (mismatch >= 0) {
                    throw new CheckCondition(Sense.MISCOMPARE_DURING_VERIFY.withInformation(mismatch));
                }
                return Transfers.good(command, sent);
            } finally {
                actual.release();
            }
        });
    }

    /** The offset of the first byte of {@code actual} that differs from {@code expected}, or -1. */
    static int firstMismatch(ByteBuf expected, ByteBuf actual, int blockSize, boolean whole) {
        int length = actual.readableBytes();
        for (int i = 0; i < length; i++) {
            int e = expected.getByte(expected.readerIndex() + (whole ? i : i % blockSize));
            if (e != actual.getByte(actual.readerIndex() + i)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Writes durably (as with FUA) and then reports success: once the backend has made the data durable the medium
     * holds what was sent, so the verification step cannot find a difference. BYTCHK 00b and 01b are accepted.
     */
    static CompletableFuture<ScsiResponse> writeAndVerify(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        if (Cdb.bits(cdb, 1, 5, 3) != 0) {
            throw Cdb.invalidField(1, 7); // WRPROTECT
        }
        if (Cdb.bit(cdb, 1, 2)) {
            throw Cdb.invalidField(1, 2); // BYTCHK 1xb is reserved for WRITE AND VERIFY
        }
        ReadWriteCommands.checkWritable(lu);
        LbaRange range = ReadWriteCommands.checkedRange(cdb, lu);
        return ReadWriteCommands.writeBlocks(request.command(), lu, range, true);
    }
}
