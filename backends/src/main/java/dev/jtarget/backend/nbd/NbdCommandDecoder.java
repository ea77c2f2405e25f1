package dev.jtarget.backend.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Cuts the transmission-phase byte stream into {@link NbdCommand}s. A WRITE payload above the maximum is skipped as it
 * arrives, never buffered, and the command is passed on already failed with EOVERFLOW; a header with a bad magic means
 * we have lost the framing, so the connection is closed.
 */
final class NbdCommandDecoder extends ByteToMessageDecoder {
    private final int maxPayload;
    /** The WRITE whose payload is awaited (or skipped), and how many payload bytes remain to skip. */
    private NbdCommand pendingWrite;
    private long skipRemaining;

    NbdCommandDecoder(int maxPayload) {
        this.maxPayload = maxPayload;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (pendingWrite != null) {
            payload(in, out);
            return;
        }
        if (in.readableBytes() < NbdProtocol.REQUEST_HEADER_BYTES) {
            return;
        }
        int magic = in.readInt();
        if (magic != NbdProtocol.REQUEST_MAGIC) {
            throw new NbdProtocolException("bad request magic 0x" + Integer.toHexString(magic));
        }
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long handle = in.readLong();
        long offset = in.readLong();
        long length = in.readUnsignedInt();
        if (type != NbdProtocol.CMD_WRITE) {
            out.add(new NbdCommand(flags, type, handle, offset, length, null, 0));
            return;
        }
        if (length > maxPayload) {
            pendingWrite = new NbdCommand(flags, type, handle, offset, length, null, NbdProtocol.EOVERFLOW);
            skipRemaining = length;
        } else {
            pendingWrite = new NbdCommand(flags, type, handle, offset, length, null, 0);
        }
        payload(in, out);
    }

    private void payload(ByteBuf in, List<Object> out) {
        NbdCommand write = pendingWrite;
        if (write.error() != 0) {
            int skipped = (int) Math.min(in.readableBytes(), skipRemaining);
            in.skipBytes(skipped);
            skipRemaining -= skipped;
            if (skipRemaining == 0) {
                pendingWrite = null;
                out.add(write);
            }
            return;
        }
        if (in.readableBytes() < write.length()) {
            return;
        }
        pendingWrite = null;
        // A retained slice, not a copy: the data stays where the socket read put it until the backend has it.
        out.add(new NbdCommand(write.flags(), write.type(), write.handle(), write.offset(), write.length(),
                in.readRetainedSlice((int) write.length()), 0));
    }
}
