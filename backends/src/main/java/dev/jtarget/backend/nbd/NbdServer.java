package dev.jtarget.backend.nbd;

import dev.jtarget.backend.BlockBackend;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Our NBD peer server: serves block backends as named NBD exports over TCP or a unix socket, to our own
 * {@link NbdBackend} on another machine or to any NBD client (qemu, nbd-client, libnbd/fio). Fixed newstyle handshake,
 * simple replies; READ, WRITE, FLUSH, TRIM, WRITE_ZEROES, DISC with FUA; multi-conn; read-only exports for read-only
 * backends. See {@link NbdServerHandshake} and {@link NbdExportConnection}.
 *
 * <p>The backends stay the caller's: {@link #close()} stops serving them but does not close them.
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NbdServer.class);
    /** Told to every connection on close: finish started commands, refuse new ones, then disconnect. */
    static final Object SHUTDOWN = new Object() {
        @Override
        public String toString() {
            return "NBD server shutdown";
        }
    };
    /** How long close() lets connections finish the commands they started. */
    private static final long CLOSE_GRACE_SECONDS = 5;

    private final EventLoopGroup group;
    private final Channel listener;
    private final ChannelGroup connections;
    private final Path unixSocket;

    private NbdServer(EventLoopGroup group, Channel listener, ChannelGroup connections, Path unixSocket) {
        this.group = group;
        this.listener = listener;
        this.connections = connections;
        this.unixSocket = unixSocket;
    }

    /** Serves {@code exports} (name to backend) on a TCP address; port 0 picks a free port (see {@link #port()}). */
    public static NbdServer start(InetSocketAddress listen, Map<String, BlockBackend> exports,
                                  NbdServerOptions options) throws IOException {
        return bind(NbdUri.Transport.TCP, listen, null, exports, options);
    }

    public static NbdServer start(InetSocketAddress listen, Map<String, BlockBackend> exports) throws IOException {
        return start(listen, exports, NbdServerOptions.defaults());
    }

    /** Serves {@code exports} on a unix socket, which must not exist yet; it is deleted again on close. */
    public static NbdServer startUnix(Path socket, Map<String, BlockBackend> exports, NbdServerOptions options)
            throws IOException {
        if (Files.exists(socket)) {
            throw new IOException("cannot serve NBD on " + socket + ": the file exists (a stale socket? remove it)");
        }
        NbdTransport transport = NbdTransport.select(options.preferNativeTransport());
        return bind(NbdUri.Transport.UNIX, transport.unixAddress(socket), socket, exports, options);
    }

    private static NbdServer bind(NbdUri.Transport kind, SocketAddress address, Path unixSocket,
                                  Map<String, BlockBackend> exports, NbdServerOptions options) throws IOException {
        Map<String, NbdServedExport> served = served(exports, options);
        NbdTransport transport = NbdTransport.select(options.preferNativeTransport());
        EventLoopGroup group = transport.newEventLoopGroup(options.threads(), "nbd-server");
        ChannelGroup connections = new DefaultChannelGroup("nbd-connections", GlobalEventExecutor.INSTANCE);
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(transport.serverChannel(kind))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        String client = String.valueOf(ch.remoteAddress());
                        log.debug("NBD client {} connected", client);
                        ch.pipeline().addLast(new FlushConsolidationHandler(256, true),
                                new NbdServerHandshake(served, options, client));
                    }
                });
        if (kind == NbdUri.Transport.TCP) {
            // SO_REUSEADDR lets a restarted peer bind its port again while old connections sit in TIME_WAIT.
            bootstrap.option(ChannelOption.SO_REUSEADDR, true).childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true);
        }
        Channel listener;
        try {
            listener = bootstrap.bind(address).sync().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot serve NBD on " + address + ": " + e.getMessage(), e);
        }
        log.info("NBD server listening on {} ({}) with export(s) {}", listener.localAddress(), transport,
                served.keySet());
        return new NbdServer(group, listener, connections, unixSocket);
    }

    private static Map<String, NbdServedExport> served(Map<String, BlockBackend> exports, NbdServerOptions options) {
        if (exports.isEmpty()) {
            throw new IllegalArgumentException("an NBD server needs at least one export");
        }
        Map<String, NbdServedExport> served = new LinkedHashMap<>();
        exports.forEach((name, backend) -> {
            int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (nameBytes > NbdProtocol.MAX_STRING_BYTES || name.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("invalid NBD export name '" + name + "'");
            }
            served.put(name, new NbdServedExport(name, backend, options.maxPayload()));
        });
        return Collections.unmodifiableMap(served);
    }

    /** The address actually bound (the port chosen when 0 was asked for). */
    public SocketAddress localAddress() {
        return listener.localAddress();
    }

    /** The TCP port listened on. */
    public int port() {
        if (!(listener.localAddress() instanceof InetSocketAddress inet)) {
            throw new IllegalStateException("not a TCP server: " + listener.localAddress());
        }
        return inet.getPort();
    }

    /**
     * Stops listening, lets every connection finish the commands it started (up to a few seconds; later ones get
     * ESHUTDOWN), closes the connections and releases the threads.
     */
    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        for (Channel connection : connections) {
            connection.pipeline().fireUserEventTriggered(SHUTDOWN);
        }
        if (!connections.newCloseFuture().awaitUninterruptibly(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS)) {
            log.warn("NBD connections still busy after {} s; closing them anyway", CLOSE_GRACE_SECONDS);
        }
        connections.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (unixSocket != null) {
            try {
                Files.deleteIfExists(unixSocket);
            } catch (IOException e) {
                log.warn("cannot delete NBD socket {}: {}", unixSocket, e.toString());
            }
        }
        log.info("NBD server on {} closed", listener.localAddress());
    }
}
