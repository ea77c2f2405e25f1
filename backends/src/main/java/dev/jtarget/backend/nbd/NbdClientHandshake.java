package dev.jtarget.backend.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client side of the fixed newstyle handshake: reads the greeting, asks for the export with NBD_OPT_GO (requesting
 * NBD_INFO_BLOCK_SIZE, so the server may tell us its constraints rather than refuse us), and on NBD_REP_ACK replaces
 * itself with the transmission-phase handler. Servers too old for NBD_OPT_GO (NBD_REP_ERR_UNSUP) get
 * NBD_OPT_EXPORT_NAME instead. Oldstyle and non-fixed newstyle servers are refused: they cannot report errors.
 */
final class NbdClientHandshake extends ByteToMessageDecoder {
    /** Option replies carry at most a few strings; anything bigger is a broken or hostile server. */
    private static final int MAX_OPTION_REPLY_BYTES = 64 * 1024;
    private static final int GREETING_BYTES = 18;
    private static final int OPTION_REPLY_HEADER_BYTES = 20;

    /** Builds the transmission-phase handler for the export the server described, or refuses it. */
    interface TransmissionFactory {
        ChannelHandler start(NbdExportInfo export) throws IOException;
    }

    private enum State { GREETING, GO_REPLIES, EXPORT_NAME_REPLY, DONE }

    private final String exportName;
    private final TransmissionFactory transmission;
    private final CompletableFuture<NbdExportInfo> result = new CompletableFuture<>();
    private State state = State.GREETING;
    private boolean noZeroes;
    private NbdExportInfo export;
    private int[] blockSizes;
    private long maximumBlockSize;

    NbdClientHandshake(String exportName, TransmissionFactory transmission) {
        this.exportName = exportName;
        this.transmission = transmission;
    }

    /** Completes with the export once transmission begins; fails if the handshake fails or the channel closes. */
    CompletableFuture<NbdExportInfo> result() {
        return result;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        switch (state) {
            case GREETING -> readGreeting(ctx, in);
            case GO_REPLIES -> readOptionReply(ctx, in);
            case EXPORT_NAME_REPLY -> readExportNameReply(ctx, in);
            case DONE -> throw new IllegalStateException("handshake handler still in the pipeline after handshake");
        }
    }

    private void readGreeting(ChannelHandlerContext ctx, ByteBuf in) {
        if (in.readableBytes() < GREETING_BYTES) {
            return;
        }
        if (in.readLong() != NbdProtocol.INIT_PASSWD) {
            throw new NbdProtocolException("the peer is not an NBD server (no NBDMAGIC greeting)");
        }
        long magic = in.readLong();
        if (magic == NbdProtocol.CLISERV_MAGIC) {
            throw new NbdProtocolException("the server speaks only oldstyle negotiation, which has no export names");
        }
        if (magic != NbdProtocol.OPTS_MAGIC) {
            throw new NbdProtocolException("unknown NBD greeting magic 0x" + Long.toHexString(magic));
        }
        int handshakeFlags = in.readUnsignedShort();
        if ((handshakeFlags & NbdProtocol.FLAG_FIXED_NEWSTYLE) == 0) {
            throw new NbdProtocolException("the server does not support fixed newstyle negotiation");
        }
        // NO_ZEROES spares 124 useless bytes; we may only ask for it when the server offered it.
        noZeroes = (handshakeFlags & NbdProtocol.FLAG_NO_ZEROES) != 0;
        ByteBuf reply = ctx.alloc().buffer();
        reply.writeInt(NbdProtocol.FLAG_C_FIXED_NEWSTYLE | (noZeroes ? NbdProtocol.FLAG_C_NO_ZEROES : 0));
        byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
        reply.writeLong(NbdProtocol.OPTS_MAGIC).writeInt(NbdProtocol.OPT_GO).writeInt(4 + name.length + 2 + 2);
        reply.writeInt(name.length).writeBytes(name);
        reply.writeShort(1).writeShort(NbdProtocol.INFO_BLOCK_SIZE);
        ctx.writeAndFlush(reply);
        state = State.GO_REPLIES;
    }

    private void readOptionReply(ChannelHandlerContext ctx, ByteBuf in) throws IOException {
        if (in.readableBytes() < OPTION_REPLY_HEADER_BYTES) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex() + 16);
        if (length > MAX_OPTION_REPLY_BYTES) {
            throw new NbdProtocolException("option reply of " + length + " bytes");
        }
        if (in.readableBytes() < OPTION_REPLY_HEADER_BYTES + length) {
            return;
        }
        long magic = in.readLong();
        int option = in.readInt();
        int replyType = in.readInt();
        ByteBuf data = in.readSlice(in.readInt());
        if (magic != NbdProtocol.OPTION_REPLY_MAGIC || option != NbdProtocol.OPT_GO) {
            throw new NbdProtocolException("bad option reply (magic 0x" + Long.toHexString(magic) + ", option "
                    + option + ")");
        }
        switch (replyType) {
            case NbdProtocol.REP_INFO -> readInfo(data);
            case NbdProtocol.REP_ACK -> {
                if (export == null) {
                    throw new NbdProtocolException("NBD_OPT_GO acknowledged without NBD_INFO_EXPORT");
                }
                finish(ctx, blockSizes == null ? export
                        : export.withBlockSizes(blockSizes[0], blockSizes[1], maximumBlockSize));
            }
            case NbdProtocol.REP_ERR_UNSUP -> {
                ByteBuf request = ctx.alloc().buffer();
                byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
                request.writeLong(NbdProtocol.OPTS_MAGIC).writeInt(NbdProtocol.OPT_EXPORT_NAME).writeInt(name.length);
                request.writeBytes(name);
                ctx.writeAndFlush(request);
                state = State.EXPORT_NAME_REPLY;
            }
            default -> {
                if ((replyType & NbdProtocol.REP_FLAG_ERROR) == 0) {
                    throw new NbdProtocolException("unexpected " + NbdProtocol.replyName(replyType) + " to NBD_OPT_GO");
                }
                String message = data.toString(StandardCharsets.UTF_8);
                throw new IOException("the server refused export '" + exportName + "': "
                        + NbdProtocol.replyName(replyType) + (message.isEmpty() ? "" : " (" + message + ")"));
            }
        }
    }

    private void readInfo(ByteBuf data) {
        if (data.readableBytes() < 2) {
            throw new NbdProtocolException("NBD_REP_INFO without an information type");
        }
        int type = data.readUnsignedShort();
        if (type == NbdProtocol.INFO_EXPORT) {
            if (data.readableBytes() < 10) {
                throw new NbdProtocolException("short NBD_INFO_EXPORT");
            }
            long size = data.readLong();
            if (size < 0) {
                throw new NbdProtocolException("export size " + Long.toUnsignedString(size) + " beyond 2^63");
            }
            export = NbdExportInfo.withDefaultBlockSizes(size, data.readUnsignedShort());
        } else if (type == NbdProtocol.INFO_BLOCK_SIZE) {
            if (data.readableBytes() < 12) {
                throw new NbdProtocolException("short NBD_INFO_BLOCK_SIZE");
            }
            long minimum = data.readUnsignedInt();
            long preferred = data.readUnsignedInt();
            maximumBlockSize = data.readUnsignedInt();
            if (minimum > Integer.MAX_VALUE || preferred > Integer.MAX_VALUE) {
                throw new NbdProtocolException("block sizes " + minimum + "/" + preferred + " out of range");
            }
            blockSizes = new int[] {(int) minimum, (int) preferred};
        }
        // Other information (name, description, future types) is not needed: the spec says to ignore it.
    }

    private void readExportNameReply(ChannelHandlerContext ctx, ByteBuf in) throws IOException {
        int needed = NbdProtocol.EXPORT_NAME_REPLY_BYTES + (noZeroes ? 0 : NbdProtocol.EXPORT_NAME_REPLY_ZEROES);
        if (in.readableBytes() < needed) {
            return;
        }
        long size = in.readLong();
        int flags = in.readUnsignedShort();
        in.skipBytes(needed - NbdProtocol.EXPORT_NAME_REPLY_BYTES);
        if (size < 0) {
            throw new NbdProtocolException("export size " + Long.toUnsignedString(size) + " beyond 2^63");
        }
        finish(ctx, NbdExportInfo.withDefaultBlockSizes(size, flags));
    }

    private void finish(ChannelHandlerContext ctx, NbdExportInfo info) throws IOException {
        ChannelHandler next = transmission.start(info);
        state = State.DONE;
        // Bytes already received past the handshake are handed on to the replacement by ByteToMessageDecoder.
        ctx.pipeline().replace(this, "nbd-transmission", next);
        result.complete(info);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable failure = cause instanceof DecoderException && cause.getCause() != null
                ? cause.getCause() : cause;
        result.completeExceptionally(failure);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        result.completeExceptionally(new IOException("the server closed the connection during the handshake"
                + (state == State.EXPORT_NAME_REPLY ? " (does export '" + exportName + "' exist?)" : "")));
        super.channelInactive(ctx);
    }
}
