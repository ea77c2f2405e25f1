package dev.jtarget.backend.nbd;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes one client's commands on its export's backend, many at once, replying as each completes (possibly out of
 * order, which NBD allows). Memory is bounded: once {@code maxInFlightRequests} commands or {@code maxInFlightBytes}
 * of payload are executing, the server stops reading from the socket until some complete, so a fast client cannot
 * queue unbounded data here. Every field is confined to the channel's event loop.
 */
final class NbdExportConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(NbdExportConnection.class);
    private static final int KNOWN_FLAGS = NbdProtocol.CMD_FLAG_FUA | NbdProtocol.CMD_FLAG_NO_HOLE;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private final NbdServedExport export;
    private final BlockBackend backend;
    private final NbdServerOptions options;
    private final String client;
    /** Decoded but not yet started: at most what was already read when reading stopped. */
    private final ArrayDeque<NbdCommand> waiting = new ArrayDeque<>();
    private int inFlight;
    private long inFlightBytes;
    private boolean reading = true;
    /** After NBD_CMD_DISC or a server shutdown: finish what was started, then close. */
    private boolean closing;
    private boolean shutdown;
    private boolean open = true;

    NbdExportConnection(NbdServedExport export, NbdServerOptions options, String client) {
        this.export = export;
        this.backend = export.backend();
        this.options = options;
        this.client = client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        NbdCommand command = (NbdCommand) message;
        if (closing) {
            // After DISC the client must send nothing; after a shutdown it may, and is told so.
            if (shutdown) {
                reply(ctx, command, NbdProtocol.ESHUTDOWN, null);
            }
            command.release();
            return;
        }
        waiting.addLast(command);
        startWhatFits(ctx);
    }

    private void startWhatFits(ChannelHandlerContext ctx) {
        while (!closing && !waiting.isEmpty() && fits(waiting.peekFirst())) {
            start(ctx, waiting.pollFirst());
        }
        boolean shouldRead = open && !closing && waiting.isEmpty() && inFlight < options.maxInFlightRequests()
                && inFlightBytes < options.maxInFlightBytes();
        if (shouldRead != reading) {
            reading = shouldRead;
            ctx.channel().config().setAutoRead(shouldRead);
        }
        closeIfDone(ctx);
    }

    private boolean fits(NbdCommand command) {
        // One command always fits when nothing runs, whatever its size, or a big one could never start.
        return inFlight == 0 || (inFlight < options.maxInFlightRequests()
                && inFlightBytes + command.memoryCost() <= options.maxInFlightBytes());
    }

    private void start(ChannelHandlerContext ctx, NbdCommand command) {
        if (command.type() == NbdProtocol.CMD_DISC) {
            log.debug("NBD client {} sent NBD_CMD_DISC", client);
            closing = true;
            // The client must send nothing after DISC; whatever it did is dropped unanswered.
            while (!waiting.isEmpty()) {
                waiting.pollFirst().release();
            }
            return;
        }
        int invalid = command.error() != 0 ? command.error() : validate(command);
        if (invalid != 0) {
            log.debug("NBD client {}: {} refused with {}", client, command.describe(), NbdProtocol.errorName(invalid));
            reply(ctx, command, invalid, null);
            command.release();
            return;
        }
        inFlight++;
        inFlightBytes += command.memoryCost();
        ByteBuf readBuffer = command.type() == NbdProtocol.CMD_READ
                ? ctx.alloc().directBuffer((int) command.length()) : null;
        CompletableFuture<Void> operation;
        try {
            operation = execute(command, readBuffer);
        } catch (RuntimeException e) {
            operation = CompletableFuture.failedFuture(e);
        }
        operation.whenComplete((ignored, failure) -> {
            try {
                // Always through the event loop: keeps state confined, and a backend that completes synchronously
                // cannot recurse start -> finish -> start through a long queue.
                ctx.executor().execute(() -> finish(ctx, command, readBuffer, failure));
            } catch (RejectedExecutionException e) {
                command.release();
                if (readBuffer != null) {
                    readBuffer.release();
                }
            }
        });
    }

    private CompletableFuture<Void> execute(NbdCommand command, ByteBuf readBuffer) {
        long offset = command.offset();
        long length = command.length();
        boolean fua = (command.flags() & NbdProtocol.CMD_FLAG_FUA) != 0;
        return switch (command.type()) {
            case NbdProtocol.CMD_READ -> backend.read(offset, readBuffer.nioBuffer(0, (int) length));
            case NbdProtocol.CMD_WRITE -> backend.write(offset, command.payload().nioBuffers(), fua);
            case NbdProtocol.CMD_FLUSH -> backend.flush();
            case NbdProtocol.CMD_TRIM -> trim(offset, length, fua);
            case NbdProtocol.CMD_WRITE_ZEROES -> (command.flags() & NbdProtocol.CMD_FLAG_NO_HOLE) != 0
                    // The client wants the range to stay allocated: write real zeros rather than punch a hole.
                    ? backend.write(offset, GatheredChunks.repeat(ZEROS, length), fua)
                    : backend.writeZeroes(offset, length, fua);
            default -> throw new IllegalStateException("unvalidated command " + command.describe());
        };
    }

    private CompletableFuture<Void> trim(long offset, long length, boolean fua) {
        if (!backend.capabilities().canDiscard()) {
            return CompletableFuture.completedFuture(null); // TRIM is only a hint
        }
        CompletableFuture<Void> discarded = backend.discard(offset, length);
        return fua && backend.capabilities().needsFlush() ? discarded.thenCompose(done -> backend.flush()) : discarded;
    }

    /** The NBD error for a command that must not reach the backend, or 0. */
    private int validate(NbdCommand command) {
        int type = command.type();
        boolean writes = type == NbdProtocol.CMD_WRITE || type == NbdProtocol.CMD_TRIM
                || type == NbdProtocol.CMD_WRITE_ZEROES;
        if (!writes && type != NbdProtocol.CMD_READ && type != NbdProtocol.CMD_FLUSH) {
            return NbdProtocol.EINVAL; // unknown command
        }
        if ((command.flags() & ~KNOWN_FLAGS) != 0
                || ((command.flags() & NbdProtocol.CMD_FLAG_NO_HOLE) != 0 && type != NbdProtocol.CMD_WRITE_ZEROES)) {
            return NbdProtocol.EINVAL;
        }
        if (writes && backend.capabilities().readOnly()) {
            return NbdProtocol.EPERM;
        }
        if (type == NbdProtocol.CMD_FLUSH) {
            return 0;
        }
        long size = backend.sizeBytes();
        // offset is unsigned on the wire: negative here means beyond 2^63, certainly outside.
        if (command.offset() < 0 || command.offset() > size || command.length() > size - command.offset()) {
            // The spec asks for ENOSPC on writes beyond the end (like a full disk), EINVAL otherwise.
            return writes ? NbdProtocol.ENOSPC : NbdProtocol.EINVAL;
        }
        if (command.offset() % backend.blockSize() != 0 || command.length() % backend.blockSize() != 0) {
            return NbdProtocol.EINVAL; // below the minimum block size we advertised
        }
        if (type == NbdProtocol.CMD_READ && command.length() > export.maximumBlockSize()) {
            return NbdProtocol.EOVERFLOW;
        }
        return 0;
    }

    private void finish(ChannelHandlerContext ctx, NbdCommand command, ByteBuf readBuffer, Throwable failure) {
        inFlight--;
        inFlightBytes -= command.memoryCost();
        command.release();
        if (failure != null) {
            if (readBuffer != null) {
                readBuffer.release();
            }
            int error = errorFor(failure);
            log.warn("NBD client {}: {} on export '{}' failed ({}): {}", client, command.describe(), export.name(),
                    NbdProtocol.errorName(error), failure.getMessage());
            reply(ctx, command, error, null);
        } else {
            if (readBuffer != null) {
                readBuffer.writerIndex((int) command.length());
            }
            reply(ctx, command, 0, readBuffer);
        }
        startWhatFits(ctx);
    }

    private static int errorFor(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (!(cause instanceof BackendException backendException)) {
            return NbdProtocol.EIO;
        }
        return switch (backendException.kind()) {
            case NO_SPACE -> NbdProtocol.ENOSPC;
            case READ_ONLY -> NbdProtocol.EPERM;
            case OUT_OF_RANGE -> NbdProtocol.EINVAL;
            case READ_ERROR, WRITE_ERROR, NOT_READY -> NbdProtocol.EIO;
        };
    }

    private void reply(ChannelHandlerContext ctx, NbdCommand command, int error, ByteBuf data) {
        if (!open) {
            if (data != null) {
                data.release();
            }
            return;
        }
        ByteBuf header = ctx.alloc().buffer(NbdProtocol.SIMPLE_REPLY_HEADER_BYTES);
        header.writeInt(NbdProtocol.SIMPLE_REPLY_MAGIC).writeInt(error).writeLong(command.handle());
        if (data == null) {
            ctx.writeAndFlush(header, ctx.voidPromise());
        } else {
            ctx.write(header, ctx.voidPromise());
            ctx.writeAndFlush(data, ctx.voidPromise());
        }
    }

    private void closeIfDone(ChannelHandlerContext ctx) {
        if (closing && inFlight == 0 && open) {
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event == NbdServer.SHUTDOWN && open) {
            // Finish what was started; anything not started yet is answered ESHUTDOWN, as the spec suggests.
            closing = true;
            shutdown = true;
            while (!waiting.isEmpty()) {
                NbdCommand command = waiting.pollFirst();
                reply(ctx, command, NbdProtocol.ESHUTDOWN, null);
                command.release();
            }
            startWhatFits(ctx);
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        open = false;
        while (!waiting.isEmpty()) {
            waiting.pollFirst().release();
        }
        log.info("NBD client {} connection to export '{}' closed", client, export.name());
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable failure = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        log.warn("NBD client {} on export '{}' failed, closing: {}", client, export.name(), failure.toString());
        ctx.close();
    }
}
