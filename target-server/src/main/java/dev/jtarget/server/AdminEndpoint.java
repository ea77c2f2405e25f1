package dev.jtarget.server;

import dev.jtarget.cache.CacheStatistics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status endpoint {@code jtarget status} queries: a Unix domain socket {@code admin.sock} in the server's state
 * directory, served by the server's own event loops. A connection gets one plain-text report ({@link #report})
 * and is closed; the endpoint reads nothing and changes nothing.
 *
 * <p>Why a Unix socket rather than a TCP port: only local processes can reach it, the file's permissions (owner only)
 * decide who may, it needs no port of its own, and the client finds it from the configuration file alone.
 */
final class AdminEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminEndpoint.class);
    static final String SOCKET_NAME = "admin.sock";
    /** Flush throughput is measured over this window between two snapshots. */
    static final Duration RATE_WINDOW = Duration.ofSeconds(1);

    private final Path socket;
    private final Channel listener;

    private AdminEndpoint(Path socket, Channel listener) {
        this.socket = socket;
        this.listener = listener;
    }

    static Path socketPath(Path stateDirectory) {
        return stateDirectory.resolve(SOCKET_NAME);
    }

    /**
     * Listens on {@code socket}, or logs why it cannot and returns null: the status report is worth a warning, never
     * a refusal to serve disks. A socket file left by a server that was killed is replaced; one that still answers
     * belongs to another server and is left alone.
     */
    static AdminEndpoint open(Path socket, EventLoopGroup boss, EventLoopGroup io, Supplier<String> header,
                              Supplier<List<CacheStatistics>> statistics) {
        try {
            Files.createDirectories(socket.getParent());
            if (Files.exists(socket)) {
                if (answers(socket)) {
                    throw new IOException("another server answers on it");
                }
                Files.delete(socket);
            }
            Channel listener = new ServerBootstrap()
                    .group(boss, io)
                    .channel(Transport.domainServerChannelClass())
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ReportHandler(header, statistics))
                    .bind(Transport.domainSocketAddress(socket)).sync().channel();
            try {
                // The report is read-only, but it is the server's business: owner only (connecting needs write access).
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException | RuntimeException e) {
                listener.close().awaitUninterruptibly();
                throw e;
            }
            log.info("status endpoint on {} (jtarget status)", socket);
            return new AdminEndpoint(socket, listener);
        } catch (Exception e) {
            log.warn("no status endpoint on {}: {}", socket, e.getMessage());
            return null;
        }
    }

    private static boolean answers(Path socket) {
        try (SocketChannel ignored = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The client side: connects to {@code socket} and returns the report.
     *
     * @throws IOException when nothing listens there or no complete answer comes within {@code timeout}
     */
    static String query(Path socket, Duration timeout) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try (channel) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            // A blocking Unix socket has no read timeout; closing the channel from outside ends a read that hangs.
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readAll(channel),
                    task -> Thread.ofVirtual().start(task));
            try {
                return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IOException("no answer within " + timeout.toSeconds() + " s");
            } catch (ExecutionException e) {
                throw new IOException(e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    private static String readAll(SocketChannel channel) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        try {
            while (channel.read(buffer.clear()) >= 0) {
                text.write(buffer.array(), 0, buffer.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString(StandardCharsets.UTF_8);
    }

    /**
     * The text {@code jtarget status} prints: {@code header}, then the cache-wide line and one line per LUN in the
     * format of the cache's periodic log ({@link CacheStatistics#toLogLine}): arena use, dirty and pinned bytes, bytes
     * written and absorbed, write-throughs, waiting and throttled writers, bytes flushed and the flush rate between
     * {@code before} and {@code now} (snapshots matched by scope), backend errors.
     */
    static String report(String header, List<CacheStatistics> before, List<CacheStatistics> now) {
        Map<String, CacheStatistics> earlier = new HashMap<>();
        before.forEach(statistics -> earlier.put(statistics.scope(), statistics));
        StringBuilder report = new StringBuilder(header).append('\n');
        for (CacheStatistics statistics : now) {
            report.append(statistics.toLogLine(earlier.get(statistics.scope()))).append('\n');
        }
        return report.toString();
    }

    /** Stops listening and removes the socket file. */
    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", socket, e.getMessage());
        }
    }

    /** Takes a snapshot when a client connects and another {@link #RATE_WINDOW} later, sends the report, closes. */
    @ChannelHandler.Sharable
    private static final class ReportHandler extends ChannelInboundHandlerAdapter {
        private final Supplier<String> header;
        private final Supplier<List<CacheStatistics>> statistics;

        ReportHandler(Supplier<String> header, Supplier<List<CacheStatistics>> statistics) {
            this.header = header;
            this.statistics = statistics;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            List<CacheStatistics> before = statistics.get();
            ctx.executor().schedule(() -> {
                String report = report(header.get(), before, statistics.get());
                ctx.writeAndFlush(Unpooled.copiedBuffer(report, StandardCharsets.UTF_8))
                        .addListener(ChannelFutureListener.CLOSE);
            }, RATE_WINDOW.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
