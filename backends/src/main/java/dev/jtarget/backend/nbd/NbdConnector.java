package dev.jtarget.backend.nbd;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one connection to the peer alive: connects, runs the handshake, and when the connection ends or an attempt
 * fails, tries again after a delay that doubles from the minimum to the maximum (reset by every successful handshake),
 * until closed.
 */
final class NbdConnector {
    private static final Logger log = LoggerFactory.getLogger(NbdConnector.class);

    private final NbdUri uri;
    private final String name;
    private final NbdTransport transport;
    private final EventLoopGroup group;
    private final NbdClientOptions options;
    private final NbdExportGate gate;
    private final NbdConnectionPool pool;
    private final Object lock = new Object();
    // Guarded by lock.
    private boolean closed;
    private Channel channel;
    private long delayNanos;
    private int failedAttempts;

    NbdConnector(NbdUri uri, String name, NbdTransport transport, EventLoopGroup group, NbdClientOptions options,
                 NbdExportGate gate, NbdConnectionPool pool) {
        this.uri = uri;
        this.name = name;
        this.transport = transport;
        this.group = group;
        this.options = options;
        this.gate = gate;
        this.pool = pool;
        this.delayNanos = options.reconnectDelayMin().toNanos();
    }

    /** Starts the first attempt; the future tells how it went (later attempts follow on their own). */
    CompletableFuture<NbdExportInfo> start() {
        return attempt();
    }

    private CompletableFuture<NbdExportInfo> attempt() {
        NbdClientHandshake handshake = new NbdClientHandshake(uri.exportName(), export -> {
            gate.admit(export);
            return new NbdClientConnection(pool, name, options.requestTimeout().toNanos());
        });
        Bootstrap bootstrap = new Bootstrap().group(group).channel(transport.clientChannel(uri.transport()))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout().toMillis())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // Replies and requests are small and many: one flush per event-loop turn, not per message.
                        ch.pipeline().addLast(new FlushConsolidationHandler(256, true), handshake);
                    }
                });
        if (uri.transport() == NbdUri.Transport.TCP) {
            bootstrap.option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.SO_KEEPALIVE, true);
        }
        CompletableFuture<NbdExportInfo> result = handshake.result();
        SocketAddress address = address();
        ChannelFuture connecting;
        synchronized (lock) {
            if (closed) {
                result.completeExceptionally(new IllegalStateException(name + " is closed"));
                return result;
            }
            connecting = bootstrap.connect(address);
            channel = connecting.channel();
        }
        connecting.addListener((ChannelFuture connected) -> {
            if (!connected.isSuccess()) {
                result.completeExceptionally(connected.cause());
                attemptEnded(result);
                return;
            }
            Channel ch = connected.channel();
            ch.eventLoop().schedule(() -> {
                if (result.completeExceptionally(new TimeoutException("no NBD handshake within "
                        + options.connectTimeout().toMillis() + " ms"))) {
                    ch.close();
                }
            }, options.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
            ch.closeFuture().addListener(closedFuture -> attemptEnded(result));
        });
        result.whenComplete((export, failure) -> {
            if (failure == null) {
                connected();
            }
        });
        return result;
    }

    private SocketAddress address() {
        // Resolved again on every attempt, so a peer that moved to another address is found after a restart.
        return uri.transport() == NbdUri.Transport.TCP ? new InetSocketAddress(uri.host(), uri.port())
                : transport.unixAddress(uri.socket());
    }

    private void connected() {
        int failedBefore;
        synchronized (lock) {
            failedBefore = failedAttempts;
            failedAttempts = 0;
            delayNanos = options.reconnectDelayMin().toNanos();
        }
        if (failedBefore > 0) {
            log.info("{}: reconnected after {} failed attempt(s)", name, failedBefore);
        } else {
            log.info("{}: connected", name);
        }
    }

    /** The attempt's channel closed (or never opened): try again unless closed. */
    private void attemptEnded(CompletableFuture<NbdExportInfo> result) {
        // The close future can fire before the handshake handler hears of the close: settle the attempt here.
        result.completeExceptionally(new IOException("the connection closed during the handshake"));
        long delay;
        synchronized (lock) {
            if (closed) {
                return;
            }
            boolean established = !result.isCompletedExceptionally();
            delay = delayNanos;
            if (!established) {
                failedAttempts++;
                delayNanos = Math.min(delayNanos * 2, options.reconnectDelayMax().toNanos());
                Throwable failure = result.exceptionNow();
                if (failedAttempts == 1) {
                    log.warn("{}: cannot connect ({}); retrying with backoff", name, failure.toString());
                } else {
                    log.debug("{}: attempt {} failed: {}", name, failedAttempts, failure.toString());
                }
            }
        }
        try {
            group.schedule(this::attempt, delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: not reconnecting, the event loop is shutting down", name);
        }
    }

    /** Stops reconnecting and closes the current channel (after the pool's soft disconnect, if it is up). */
    void close() {
        Channel current;
        synchronized (lock) {
            closed = true;
            current = channel;
        }
        if (current != null) {
            current.close();
        }
    }
}
