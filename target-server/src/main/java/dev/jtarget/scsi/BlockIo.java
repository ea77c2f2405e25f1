package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/** Backend calls shared by the block commands: reads into Data-In buffers and writes under the LBA range lock. */
final class BlockIo {
    private BlockIo() {
    }

    /**
     * Reads the blocks covering {@code bytes} bytes from {@code lba} into a new buffer whose readable part is exactly
     * {@code bytes} long. The buffer is released here if the read fails.
     */
    static CompletableFuture<ByteBuf> read(LogicalUnit lu, long lba, int bytes) {
        int blockSize = lu.blockSize();
        int readBytes = Math.ceilDiv(bytes, blockSize) * blockSize;
        ByteBuf buffer = Transfers.allocate(readBytes);
        return call(() -> lu.backend().read(lba * blockSize, buffer.nioBuffer(0, readBytes))).handle((done, failure) -> {
            if (failure != null) {
                buffer.release();
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }
            return buffer.writerIndex(bytes);
        });
    }

    /**
     * {@link #read} for READ-type commands: holds a {@link LbaRangeLocks.Mode#READ} lock meanwhile, so the data never
     * shows a WRITE ATOMIC half done. Not for use under a lock the caller already holds on those blocks.
     */
    static CompletableFuture<ByteBuf> readShared(LogicalUnit lu, long lba, int bytes) {
        return locked(lu, lba, Math.ceilDiv(bytes, lu.blockSize()), LbaRangeLocks.Mode.READ,
                () -> read(lu, lba, bytes));
    }

    /** Writes {@code data} (whole blocks) at {@code lba} while holding the range lock for those blocks. */
    static CompletableFuture<Void> write(LogicalUnit lu, long lba, ByteBuf data, boolean fua) {
        long blocks = data.readableBytes() / lu.blockSize();
        return locked(lu, lba, blocks, () -> writeLocked(lu, lba, data, fua));
    }

    /** Writes {@code data} at {@code lba}; the caller already holds the range lock. */
    static CompletableFuture<Void> writeLocked(LogicalUnit lu, long lba, ByteBuf data, boolean fua) {
        ByteBuffer[] sources = data.nioBuffers(data.readerIndex(), data.readableBytes());
        return call(() -> lu.backend().write(lba * lu.blockSize(), sources, fua));
    }

    /** Runs {@code work} while holding the range lock of {@code [lba, lba + blocks)}; releases it however it ends. */
    static <T> CompletableFuture<T> locked(LogicalUnit lu, long lba, long blocks, Supplier<CompletableFuture<T>> work) {
        return locked(lu, lba, blocks, LbaRangeLocks.Mode.WRITE, work);
    }

    /** {@link #locked(LogicalUnit, long, long, Supplier)} with the lock in {@code mode}. */
    static <T> CompletableFuture<T> locked(LogicalUnit lu, long lba, long blocks, LbaRangeLocks.Mode mode,
                                           Supplier<CompletableFuture<T>> work) {
        return lu.rangeLocks().acquire(lba, blocks, mode)
                .thenCompose(lease -> call(work).whenComplete((result, failure) -> lease.release()));
    }

    /** Calls a backend operation, turning an exception thrown instead of returned into a failed future. */
    static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> operation) {
        try {
            return operation.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
