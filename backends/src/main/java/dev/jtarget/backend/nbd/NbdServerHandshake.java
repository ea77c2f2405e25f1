package dev.jtarget.backend.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of the fixed newstyle handshake: greets, then answers options until the client picks an export with
 * NBD_OPT_GO or NBD_OPT_EXPORT_NAME, and then hands the connection to the transmission phase. Supported: GO, INFO
 * (NBD_INFO_EXPORT, NAME, DESCRIPTION, BLOCK_SIZE), LIST, ABORT, EXPORT_NAME; anything else gets NBD_REP_ERR_UNSUP.
 */
final class NbdServerHandshake extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(NbdServerHandshake.class);
    /** NBD_OPT_GO carries a name of at most 4 KiB and a few info requests; more is a broken or hostile client. */
    private static final int MAX_OPTION_BYTES = 16 * 1024;
    private static final int KNOWN_CLIENT_FLAGS = NbdProtocol.FLAG_C_FIXED_NEWSTYLE | NbdProtocol.FLAG_C_NO_ZEROES;

    private final Map<String, NbdServedExport> exports;
    private final NbdServerOptions options;
    private final String client;
    private boolean flagsReceived;
    private boolean noZeroes;
    /** After ABORT or a refused NBD_OPT_EXPORT_NAME: the connection is closing, nothing more is read. */
    private boolean finished;

    NbdServerHandshake(Map<String, NbdServedExport> exports, NbdServerOptions options, String client) {
        this.exports = exports;
        this.options = options;
        this.client = client;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ByteBuf greeting = ctx.alloc().buffer(18);
        greeting.writeLong(NbdProtocol.INIT_PASSWD).writeLong(NbdProtocol.OPTS_MAGIC);
        greeting.writeShort(NbdProtocol.FLAG_FIXED_NEWSTYLE | NbdProtocol.FLAG_NO_ZEROES);
        ctx.writeAndFlush(greeting);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (finished) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!flagsReceived) {
            if (in.readableBytes() < 4) {
                return;
            }
            int clientFlags = in.readInt();
            if ((clientFlags & ~KNOWN_CLIENT_FLAGS) != 0) {
                // The spec requires dropping a client that sets flags we did not offer.
                throw new NbdProtocolException("unknown client flags 0x" + Integer.toHexString(clientFlags));
            }
            noZeroes = (clientFlags & NbdProtocol.FLAG_C_NO_ZEROES) != 0;
            flagsReceived = true;
        }
        if (in.readableBytes() < 16) {
            return;
        }
        long optionLength = in.getUnsignedInt(in.readerIndex() + 12);
        if (optionLength > MAX_OPTION_BYTES) {
            throw new NbdProtocolException("option of " + optionLength + " bytes");
        }
        if (in.readableBytes() < 16 + optionLength) {
            return;
        }
        if (in.readLong() != NbdProtocol.OPTS_MAGIC) {
            throw new NbdProtocolException("option without the IHAVEOPT magic");
        }
        int option = in.readInt();
        ByteBuf data = in.readSlice(in.readInt());
        switch (option) {
            case NbdProtocol.OPT_EXPORT_NAME -> exportName(ctx, data.toString(StandardCharsets.UTF_8));
            case NbdProtocol.OPT_GO, NbdProtocol.OPT_INFO -> info(ctx, option, data);
            case NbdProtocol.OPT_LIST -> list(ctx, data);
            case NbdProtocol.OPT_ABORT -> {
                reply(ctx, option, NbdProtocol.REP_ACK, null);
                finished = true;
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            default -> replyError(ctx, option, NbdProtocol.REP_ERR_UNSUP, "option " + option + " is not supported");
        }
        if (!ctx.isRemoved()) {
            ctx.flush();
        }
    }

    private void exportName(ChannelHandlerContext ctx, String name) {
        NbdServedExport export = find(name);
        if (export == null) {
            // NBD_OPT_EXPORT_NAME cannot be answered with an error: the spec says to end the session.
            log.warn("NBD client {} asked for unknown export '{}' (NBD_OPT_EXPORT_NAME); closing", client, name);
            finished = true;
            ctx.close();
            return;
        }
        ByteBuf reply = ctx.alloc().buffer();
        reply.writeLong(export.backend().sizeBytes()).writeShort(export.transmissionFlags());
        if (!noZeroes) {
            reply.writeZero(NbdProtocol.EXPORT_NAME_REPLY_ZEROES);
        }
        ctx.write(reply);
        enterTransmission(ctx, export);
    }

    private void info(ChannelHandlerContext ctx, int option, ByteBuf data) {
        if (data.readableBytes() < 4 || data.getUnsignedInt(data.readerIndex()) > data.readableBytes() - 6L) {
            replyError(ctx, option, NbdProtocol.REP_ERR_INVALID, "malformed request");
            return;
        }
        String name = data.readSlice(data.readInt()).toString(StandardCharsets.UTF_8);
        int requests = data.readUnsignedShort();
        if (data.readableBytes() != requests * 2) {
            replyError(ctx, option, NbdProtocol.REP_ERR_INVALID, "information request count does not match length");
            return;
        }
        NbdServedExport export = find(name);
        if (export == null) {
            replyError(ctx, option, NbdProtocol.REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return;
        }
        ByteBuf exportInfo = ctx.alloc().buffer(12);
        exportInfo.writeShort(NbdProtocol.INFO_EXPORT).writeLong(export.backend().sizeBytes());
        exportInfo.writeShort(export.transmissionFlags());
        reply(ctx, option, NbdProtocol.REP_INFO, exportInfo);
        for (int i = 0; i < requests; i++) {
            int type = data.readUnsignedShort();
            if (type == NbdProtocol.INFO_NAME) {
                reply(ctx, option, NbdProtocol.REP_INFO, infoString(ctx, NbdProtocol.INFO_NAME, export.name()));
            } else if (type == NbdProtocol.INFO_DESCRIPTION) {
                reply(ctx, option, NbdProtocol.REP_INFO,
                        infoString(ctx, NbdProtocol.INFO_DESCRIPTION, export.backend().describe()));
            }
        }
        // Sent whether or not it was asked for (the spec allows that): requests must be aligned to the backend's
        // blocks, and a client that ignores this gets EINVAL rather than silent read-modify-write.
        ByteBuf blockSizes = ctx.alloc().buffer(14);
        blockSizes.writeShort(NbdProtocol.INFO_BLOCK_SIZE).writeInt(export.minimumBlockSize());
        blockSizes.writeInt(export.preferredBlockSize()).writeInt(export.maximumBlockSize());
        reply(ctx, option, NbdProtocol.REP_INFO, blockSizes);
        reply(ctx, option, NbdProtocol.REP_ACK, null);
        if (option == NbdProtocol.OPT_GO) {
            enterTransmission(ctx, export);
        }
    }

    private static ByteBuf infoString(ChannelHandlerContext ctx, int type, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(bytes.length, NbdProtocol.MAX_STRING_BYTES);
        return ctx.alloc().buffer(2 + length).writeShort(type).writeBytes(bytes, 0, length);
    }

    private void list(ChannelHandlerContext ctx, ByteBuf data) {
        if (data.isReadable()) {
            replyError(ctx, NbdProtocol.OPT_LIST, NbdProtocol.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
            return;
        }
        for (String name : exports.keySet()) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            reply(ctx, NbdProtocol.OPT_LIST, NbdProtocol.REP_SERVER,
                    ctx.alloc().buffer(4 + bytes.length).writeInt(bytes.length).writeBytes(bytes));
        }
        reply(ctx, NbdProtocol.OPT_LIST, NbdProtocol.REP_ACK, null);
    }

    /** The empty name asks for the default export: ours is the only one, when there is only one. */
    private NbdServedExport find(String name) {
        if (name.isEmpty() && exports.size() == 1) {
            return exports.values().iterator().next();
        }
        return exports.get(name);
    }

    private static void reply(ChannelHandlerContext ctx, int option, int type, ByteBuf data) {
        int length = data == null ? 0 : data.readableBytes();
        ByteBuf header = ctx.alloc().buffer(20);
        header.writeLong(NbdProtocol.OPTION_REPLY_MAGIC).writeInt(option).writeInt(type).writeInt(length);
        ctx.write(header);
        if (data != null) {
            ctx.write(data);
        }
    }

    private void replyError(ChannelHandlerContext ctx, int option, int type, String message) {
        log.debug("NBD client {}: option {} answered {}: {}", client, option, NbdProtocol.replyName(type), message);
        reply(ctx, option, type, ctx.alloc().buffer().writeBytes(message.getBytes(StandardCharsets.UTF_8)));
    }

    private void enterTransmission(ChannelHandlerContext ctx, NbdServedExport export) {
        log.info("NBD client {} opened export '{}'", client, export.name());
        ctx.flush();
        ctx.pipeline().addAfter(ctx.name(), "nbd-export", new NbdExportConnection(export, options, client));
        // Bytes already received past the handshake go on to the replacement (ByteToMessageDecoder forwards them).
        ctx.pipeline().replace(this, "nbd-commands", new NbdCommandDecoder(export.maximumBlockSize()));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event == NbdServer.SHUTDOWN) {
            ctx.close();
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable failure = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        log.warn("NBD client {} failed during the handshake, closing: {}", client, failure.toString());
        finished = true;
        ctx.close();
    }
}
