package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** UNMAP, WRITE SAME (10)/(16) and GET LBA STATUS: logical block provisioning (SBC-3 §4.7, §5.28, §5.40-5.42). */
final class ProvisioningCommands {
    private static final int UNMAP_HEADER = 8;
    private static final int UNMAP_DESCRIPTOR = 16;
    private static final int PATTERN_CHUNK_BYTES = 1 << 20;
    private static final int MAPPED_OR_UNKNOWN = 0x0;

    private ProvisioningCommands() {
    }

    /**
     * All descriptors are checked before any is applied, so a bad list changes nothing. Without a backend that can
     * discard, LBPU=0 and UNMAP does not exist for the initiator (INVALID COMMAND OPERATION CODE).
     */
    static CompletableFuture<ScsiResponse> unmap(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ScsiCommand command = request.command();
        if (!lu.canDiscard()) {
            throw new CheckCondition(Sense.INVALID_COMMAND_OPERATION_CODE.withCdbFieldPointer(0, -1));
        }
        ReadWriteCommands.checkWritable(lu);
        int listLength = Cdb.u16(cdb, 7);
        if (listLength == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, 0));
        }
        if (listLength < UNMAP_HEADER) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] list = ByteBufUtil.getBytes(Transfers.dataOut(command, listLength));
        int descriptorBytes = Cdb.u16(list, 2);
        if (descriptorBytes > listLength - UNMAP_HEADER) {
            throw invalidParameter(2);
        }
        // An incomplete last descriptor is ignored (SBC-3 §5.28.2).
        int count = descriptorBytes / UNMAP_DESCRIPTOR;
        if (count > lu.limits().maxUnmapDescriptors()) {
            throw invalidParameter(2);
        }
        List<LbaRange> ranges = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = UNMAP_HEADER + i * UNMAP_DESCRIPTOR;
            // MAXIMUM UNMAP LBA COUNT is unlimited, so only the medium bounds a descriptor.
            LbaRange range = new LbaRange(Cdb.u64(list, at), Cdb.u32(list, at + 8));
            range.checkWithin(lu.blockCount());
            if (range.blocks() > 0) {
                ranges.add(range);
            }
        }
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        for (LbaRange range : ranges) {
            done = done.thenCompose(previous -> BlockIo.locked(lu, range.lba(), range.blocks(),
                    () -> discard(lu, range)));
        }
        return done.thenApply(finished -> Transfers.good(command, listLength));
    }

    /**
     * Writes one block's pattern (or zeros with NDOB) over the range. Zeros with UNMAP=1 become a discard when
     * discarded blocks read back as zeros, zeros otherwise use the backend's zeroing, and any other pattern is
     * written out. WSNZ=1: NUMBER OF LOGICAL BLOCKS 0 ("to the last LBA") is refused. (Supporting it would make
     * libiscsi 1.19's UnmapUntilEnd test fail: it expects zeros after WRITE SAME(10) UNMAP=1 with a non-zero block,
     * where SBC-4 says reads return what was written.) The Data-Out buffer must be exactly the one block (none
     * with NDOB): a different length means the initiator and the CDB disagree about what the pattern is.
     */
    static CompletableFuture<ScsiResponse> writeSame(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ScsiCommand command = request.command();
        if (Cdb.bits(cdb, 1, 5, 3) != 0) {
            throw Cdb.invalidField(1, 7); // WRPROTECT
        }
        ReadWriteCommands.checkWritable(lu);
        boolean unmap = Cdb.bit(cdb, 1, 3);
        boolean noDataOut = LbaRange.cdbSize(cdb) == 16 && Cdb.bit(cdb, 1, 0);
        LbaRange range = LbaRange.of(cdb);
        if (range.blocks() == 0) {
            throw Cdb.invalidField(LbaRange.lengthFieldOffset(cdb), -1);
        }
        range.checkLength(cdb, lu.limits().maxWriteSameBlocks());
        range.checkWithin(lu.blockCount());
        int blockSize = lu.blockSize();
        long sent = noDataOut ? 0 : blockSize;
        if (Transfers.dataOutExpected(command) != sent) {
            throw new CheckCondition(Sense.INVALID_FIELD_IN_INFORMATION_UNIT);
        }
        ByteBuf pattern = noDataOut ? null : Transfers.dataOut(command, blockSize);
        boolean zeros = pattern == null || isZero(pattern);
        boolean fua = lu.durable(false);
        Supplier<CompletableFuture<Void>> work;
        if (zeros && unmap && lu.discardReadsZeros()) {
            work = () -> discard(lu, range);
        } else if (zeros) {
            work = () -> lu.backend().writeZeroes(range.lba() * blockSize, range.blocks() * blockSize, fua);
        } else {
            work = () -> writePattern(lu, range, pattern, fua);
        }
        return BlockIo.locked(lu, range.lba(), range.blocks(), work).thenApply(done -> Transfers.good(command, sent));
    }

    /**
     * Reports one extent from the requested LBA to the end as "mapped or unknown" (SBC-3 §5.14.2, status 0h): the
     * backend interface cannot tell which blocks are deallocated, and this answer is never wrong.
     */
    static CompletableFuture<ScsiResponse> getLbaStatus(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        long lba = Cdb.u64(cdb, 2);
        if (Long.compareUnsigned(lba, lu.blockCount()) >= 0) {
            throw new CheckCondition(Sense.LBA_OUT_OF_RANGE);
        }
        byte[] data = new byte[24];
        Cdb.put32(data, 0, data.length - 4);
        Cdb.put64(data, 8, lba);
        Cdb.put32(data, 16, Math.min(lu.blockCount() - lba, 0xFFFF_FFFFL));
        data[20] = MAPPED_OR_UNKNOWN;
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, Cdb.u32(cdb, 10)));
    }

    /** Discards, then flushes when the write cache is off: with WCE=0 every completed change is durable. */
    private static CompletableFuture<Void> discard(LogicalUnit lu, LbaRange range) {
        int blockSize = lu.blockSize();
        CompletableFuture<Void> discarded = BlockIo.call(() ->
                lu.backend().discard(range.lba() * blockSize, range.blocks() * blockSize));
        return lu.durable(false) ? discarded.thenCompose(done -> lu.flush()) : discarded;
    }

    /** Writes the pattern block over the range in chunks of up to 1 MiB, one after the other. */
    private static CompletableFuture<Void> writePattern(LogicalUnit lu, LbaRange range, ByteBuf pattern,
                                                        boolean fua) {
        int blockSize = lu.blockSize();
        int chunkBlocks = (int) Math.min(range.blocks(), PATTERN_CHUNK_BYTES / blockSize);
        ByteBuf chunk = Transfers.allocate(chunkBlocks * blockSize);
        for (int i = 0; i < chunkBlocks; i++) {
            chunk.writeBytes(pattern, pattern.readerIndex(), blockSize);
        }
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        for (long written = 0; written < range.blocks(); written += chunkBlocks) {
            long lba = range.lba() + written;
            int bytes = (int) Math.min(chunkBlocks, range.blocks() - written) * blockSize;
            done = done.thenCompose(previous -> BlockIo.call(() ->
                    lu.backend().write(lba * blockSize, new ByteBuffer[] {chunk.nioBuffer(0, bytes)}, fua)));
        }
        return done.whenComplete((finished, failure) -> chunk.release());
    }

    private static boolean isZero(ByteBuf block) {
        for (int i = block.readerIndex(); i < block.writerIndex(); i++) {
            if (block.getByte(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static CheckCondition invalidParameter(int byteIndex) {
        return new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(byteIndex, -1));
    }
}
