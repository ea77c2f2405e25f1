package dev.jtarget.backend.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One transmission-phase connection of the client: sends requests, matches simple replies to them by handle, and
 * streams READ data straight into the caller's buffer (never buffering a whole payload). Every field is confined to the
 * channel's event loop; the {@link NbdConnectionPool} decides what is sent here and when.
 *
 * <p>Requests still unanswered when the connection ends go back to the pool to be retried elsewhere. A request
 * unanswered after the request timeout means the peer hangs: the connection is closed so its requests can be retried
 * on a fresh one.
 */
final class NbdClientConnection extends ByteToMessageDecoder {
    private static final Logger log = LoggerFactory.getLogger(NbdClientConnection.class);

    private final NbdConnectionPool pool;
    private final String peer;
    private final long requestTimeoutNanos;
    private final Map<Long, NbdRequest> inFlight = new HashMap<>();
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timeoutCheck;
    private long nextHandle = 1;
    private boolean open = true;
    /** After ESHUTDOWN the server wants us gone: nothing new is sent, and DISC follows the last reply. */
    private boolean draining;
    /** The READ whose payload is arriving, and how many of its bytes have been copied. */
    private NbdRequest receiving;
    private int received;

    /** Pool bookkeeping (requests handed here and not yet answered); guarded by the pool's lock. */
    int assigned;

    NbdClientConnection(NbdConnectionPool pool, String peer, long requestTimeoutNanos) {
        this.pool = pool;
        this.peer = peer;
        this.requestTimeoutNanos = requestTimeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(requestTimeoutNanos / 4,
                TimeUnit.SECONDS.toNanos(1)));
        timeoutCheck = ctx.executor().scheduleAtFixedRate(this::closeIfAReplyIsOverdue, period, period,
                TimeUnit.NANOSECONDS);
        pool.connectionReady(this);
    }

    String peer() {
        return peer;
    }

    /** Sends from any thread; the pool has already counted the request against this connection. */
    void send(NbdRequest request) {
        try {
            ctx.executor().execute(() -> transmit(request));
        } catch (RejectedExecutionException e) {
            pool.unsent(this, request);
        }
    }

    private void transmit(NbdRequest request) {
        if (!open || draining) {
            pool.unsent(this, request);
            return;
        }
        request.handle = nextHandle++;
        request.sentAtNanos = System.nanoTime();
        inFlight.put(request.handle, request);
        ByteBuf header = ctx.alloc().buffer(NbdProtocol.REQUEST_HEADER_BYTES);
        header.writeInt(NbdProtocol.REQUEST_MAGIC).writeShort(request.flags).writeShort(request.type);
        header.writeLong(request.handle).writeLong(request.offset).writeInt(request.length);
        if (request.hasPayload()) {
            ctx.write(header, ctx.voidPromise());
            ctx.writeAndFlush(request.payloadForAttempt(), ctx.voidPromise());
        } else {
            ctx.writeAndFlush(header, ctx.voidPromise());
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (open) {
            if (receiving != null) {
                int count = Math.min(in.readableBytes(), receiving.length - received);
                receiving.fill(in, received, count);
                received += count;
                if (received < receiving.length) {
                    return;
                }
                NbdRequest done = receiving;
                receiving = null;
                answered(done, 0);
                continue;
            }
            if (in.readableBytes() < NbdProtocol.SIMPLE_REPLY_HEADER_BYTES) {
                return;
            }
            int magic = in.readInt();
            if (magic == NbdProtocol.STRUCTURED_REPLY_MAGIC) {
                throw new NbdProtocolException("structured reply although none was negotiated");
            }
            if (magic != NbdProtocol.SIMPLE_REPLY_MAGIC) {
                throw new NbdProtocolException("bad reply magic 0x" + Integer.toHexString(magic));
            }
            int error = in.readInt();
            long handle = in.readLong();
            NbdRequest request = inFlight.get(handle);
            if (request == null) {
                throw new NbdProtocolException("reply for handle " + handle + ", which is not in flight");
            }
            if (request.type == NbdProtocol.CMD_READ && error == 0 && request.length > 0) {
                receiving = request;
                received = 0;
            } else {
                answered(request, error);
            }
        }
    }

    private void answered(NbdRequest request, int error) {
        inFlight.remove(request.handle);
        if (error == NbdProtocol.ESHUTDOWN) {
            // The server is going away; the spec wants a soft disconnect. The request is retried on another
            // connection or after reconnecting.
            if (!draining) {
                log.info("{}: the server is shutting down; disconnecting", peer);
                draining = true;
                pool.draining(this);
            }
            pool.retry(this, request);
        } else {
            pool.answered(this, request, error);
        }
        if (draining && inFlight.isEmpty()) {
            disconnect();
        }
    }

    /** Soft disconnect: NBD_CMD_DISC, then close. Safe from any thread. */
    void disconnect() {
        ctx.executor().execute(() -> {
            if (!open) {
                return;
            }
            ByteBuf disc = ctx.alloc().buffer(NbdProtocol.REQUEST_HEADER_BYTES);
            disc.writeInt(NbdProtocol.REQUEST_MAGIC).writeShort(0).writeShort(NbdProtocol.CMD_DISC);
            disc.writeLong(0).writeLong(0).writeInt(0);
            ctx.writeAndFlush(disc).addListener(ChannelFutureListener.CLOSE);
        });
    }

    private void closeIfAReplyIsOverdue() {
        long now = System.nanoTime();
        for (NbdRequest request : inFlight.values()) {
            if (now - request.sentAtNanos > requestTimeoutNanos) {
                log.warn("{}: no reply to {} after {} ms; closing the connection to retry on a new one", peer,
                        request.describe(), TimeUnit.NANOSECONDS.toMillis(now - request.sentAtNanos));
                ctx.close();
                return;
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        open = false;
        timeoutCheck.cancel(false);
        List<NbdRequest> unanswered = new ArrayList<>(inFlight.values());
        unanswered.sort((a, b) -> Long.compare(a.handle, b.handle));
        inFlight.clear();
        receiving = null;
        pool.connectionLost(this, unanswered);
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ctx.channel().isOpen()) {
            return; // writes queued before the close fail one by one; the first failure was reported
        }
        Throwable failure = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (failure instanceof NbdProtocolException) {
            log.error("{}: protocol violation, closing the connection: {}", peer, failure.getMessage());
        } else {
            log.warn("{}: connection failed: {}", peer, failure.toString());
        }
        ctx.close();
    }
}
