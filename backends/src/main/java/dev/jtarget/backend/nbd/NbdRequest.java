package dev.jtarget.backend.nbd;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One NBD command on its way through the client: queued, sent (possibly several times, after reconnections), and
 * finally answered. The caller's buffers are only ever read or filled through duplicates, so each attempt starts from
 * the same positions.
 */
final class NbdRequest {
    final int type;
    final int flags;
    final long offset;
    final int length;
    /** WRITE data, back to back; null for other commands. */
    private final ByteBuffer[] payload;
    /** Where READ data lands (position..limit, {@code length} bytes); null for other commands. */
    private final ByteBuffer destination;
    final CompletableFuture<Void> result = new CompletableFuture<>();

    /** When it started waiting for a connection; guarded by the pool's lock. */
    long waitingSinceNanos;
    /** For FLUSH: how many writes had completed when it was issued, i.e. what its success makes durable. */
    long writesCoveredByFlush;
    /** The handle of the current attempt and when it was sent; owned by the connection's event loop. */
    long handle;
    long sentAtNanos;

    private NbdRequest(int type, int flags, long offset, int length, ByteBuffer[] payload, ByteBuffer destination) {
        this.type = type;
        this.flags = flags;
        this.offset = offset;
        this.length = length;
        this.payload = payload;
        this.destination = destination;
    }

    static NbdRequest read(long offset, ByteBuffer destination) {
        return new NbdRequest(NbdProtocol.CMD_READ, 0, offset, destination.remaining(), null, destination);
    }

    static NbdRequest write(long offset, ByteBuffer[] payload, int length, boolean fua) {
        return new NbdRequest(NbdProtocol.CMD_WRITE, fua ? NbdProtocol.CMD_FLAG_FUA : 0, offset, length, payload,
                null);
    }

    static NbdRequest flush() {
        return new NbdRequest(NbdProtocol.CMD_FLUSH, 0, 0, 0, null, null);
    }

    static NbdRequest trim(long offset, int length) {
        return new NbdRequest(NbdProtocol.CMD_TRIM, 0, offset, length, null, null);
    }

    static NbdRequest writeZeroes(long offset, int length, boolean fua) {
        return new NbdRequest(NbdProtocol.CMD_WRITE_ZEROES, fua ? NbdProtocol.CMD_FLAG_FUA : 0, offset, length, null,
                null);
    }

    boolean isFlush() {
        return type == NbdProtocol.CMD_FLUSH;
    }

    /** Whether success leaves data that only a later FLUSH makes durable. */
    boolean leavesUnflushedData() {
        return type != NbdProtocol.CMD_READ && type != NbdProtocol.CMD_FLUSH
                && (flags & NbdProtocol.CMD_FLAG_FUA) == 0;
    }

    boolean hasPayload() {
        return payload != null;
    }

    /** A fresh wrapper around the caller's data for one attempt; the caller's buffers are neither copied nor moved. */
    ByteBuf payloadForAttempt() {
        ByteBuffer[] views = new ByteBuffer[payload.length];
        for (int i = 0; i < payload.length; i++) {
            views[i] = payload[i].duplicate();
        }
        return Unpooled.wrappedBuffer(views);
    }

    /** Copies the next {@code count} reply bytes into the destination, {@code filled} bytes from its start. */
    void fill(ByteBuf reply, int filled, int count) {
        ByteBuffer target = destination.duplicate();
        target.position(destination.position() + filled).limit(destination.position() + filled + count);
        reply.readBytes(target);
    }

    void complete() {
        result.complete(null);
    }

    void fail(BackendException failure) {
        result.completeExceptionally(failure);
    }

    /** The failure the layers above see for an NBD error reply, typed by what the initiator should be told. */
    BackendException failureFor(int error, String peer) {
        Kind kind;
        if (type == NbdProtocol.CMD_READ) {
            kind = Kind.READ_ERROR; // whatever the reason, the initiator cannot have these blocks
        } else {
            kind = switch (error) {
                case NbdProtocol.ENOSPC -> Kind.NO_SPACE;
                case NbdProtocol.EPERM, NbdProtocol.EROFS -> Kind.READ_ONLY;
                default -> Kind.WRITE_ERROR;
            };
        }
        return new BackendException(kind, describe() + " on " + peer + " failed: the server replied "
                + NbdProtocol.errorName(error));
    }

    String describe() {
        String name = "NBD " + NbdProtocol.commandName(type);
        return isFlush() ? name : name + " " + offset + "+" + length;
    }
}
