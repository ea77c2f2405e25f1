package dev.jtarget.scsi;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.memory.MemoryBackend;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A memory disk that records every call ("write 0+512 fua=false", "flush", ...), can fail every call with one
 * {@link BackendException.Kind}, and can hold flushes until the test completes them.
 */
final class RecordingBackend implements BlockBackend {
    private final MemoryBackend memory;
    private final BackendCapabilities capabilities;
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<Void>> heldFlushes = new CopyOnWriteArrayList<>();
    volatile BackendException.Kind failWith;
    volatile boolean holdFlushes;

    RecordingBackend(long sizeBytes, int blockSize, BackendCapabilities capabilities) {
        this.memory = new MemoryBackend(sizeBytes, blockSize);
        this.capabilities = capabilities;
    }

    RecordingBackend() {
        this(Luns.BLOCKS * Luns.BLOCK_SIZE, Luns.BLOCK_SIZE, new BackendCapabilities(true, true, true, false));
    }

    @Override
    public long sizeBytes() {
        return memory.sizeBytes();
    }

    @Override
    public int blockSize() {
        return memory.blockSize();
    }

    @Override
    public BackendCapabilities capabilities() {
        return capabilities;
    }

    private CompletableFuture<Void> failure() {
        BackendException.Kind kind = failWith;
        return kind == null ? null : CompletableFuture.failedFuture(new BackendException(kind, "scripted " + kind));
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        calls.add("read " + offset + "+" + destination.remaining());
        CompletableFuture<Void> failure = failure();
        return failure != null ? failure : memory.read(offset, destination);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        long length = 0;
        for (ByteBuffer source : sources) {
            length += source.remaining();
        }
        calls.add("write " + offset + "+" + length + " fua=" + fua);
        CompletableFuture<Void> failure = failure();
        return failure != null ? failure : memory.write(offset, sources, fua);
    }

    @Override
    public CompletableFuture<Void> flush() {
        calls.add("flush");
        CompletableFuture<Void> failure = failure();
        if (failure != null) {
            return failure;
        }
        if (holdFlushes) {
            CompletableFuture<Void> held = new CompletableFuture<>();
            heldFlushes.add(held);
            return held;
        }
        return memory.flush();
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        calls.add("discard " + offset + "+" + length);
        CompletableFuture<Void> failure = failure();
        return failure != null ? failure : memory.discard(offset, length);
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        calls.add("writeZeroes " + offset + "+" + length + " fua=" + fua);
        CompletableFuture<Void> failure = failure();
        return failure != null ? failure : memory.writeZeroes(offset, length, fua);
    }

    @Override
    public void close() {
        calls.add("close");
        memory.close();
    }

    @Override
    public String describe() {
        return "recording " + memory.describe();
    }
}
