package dev.jtarget.server;

import dev.jtarget.cache.CacheStatistics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.ReadTimeoutHandler;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The status interface {@code jtarget status} and {@code jtarget image} talk to: a Unix domain socket
 * {@code admin.sock} in the server's state directory, served by the server's own event loops. A client sends one
 * request line ({@code status}, or {@code image ...} as {@link ImageRequest#line()} spells it) and gets an answer: a
 * first line {@value #OK} or {@value #FAILED}, then plain text for people; then the server closes the connection.
 * Image operations run one at a time on a thread of their own, never on an event loop: a promotion copies a whole
 * disk.
 *
 * <p>Why a Unix socket rather than a TCP port: only local processes can reach it, the file's permissions (owner only)
 * decide who may, it needs no port of its own, and the client finds it from the configuration file alone.
 */
final class AdminEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminEndpoint.class);
    static final String SOCKET_NAME = "admin.sock";
    /** Flush throughput is measured over this window between two snapshots. */
    static final Duration RATE_WINDOW = Duration.ofSeconds(1);
    static final String OK = "ok";
    static final String FAILED = "failed";
    /** A client that connects but sends no complete request line within this is disconnected. */
    private static final int REQUEST_TIMEOUT_SECONDS = 10;
    private static final int MAX_REQUEST_BYTES = 4096;

    /** What the server answered: whether the request succeeded, and the text to show. */
    record Answer(boolean succeeded, String text) {
    }

    /** What the endpoint reports and operates on. */
    interface Server {
        /** The first line of the status report. */
        String statusHeader();

        /** The cache-wide statistics, then one per LUN. */
        List<CacheStatistics> cacheStatistics();

        /** Further status lines: one per image read cache. */
        List<String> imageCacheLines();

        /** Runs an image operation and returns its text; the exception's message says why it failed. */
        String image(ImageRequest request) throws IOException;
    }

    private final Path socket;
    private final Channel listener;
    private final ExecutorService operations;

    private AdminEndpoint(Path socket, Channel listener, ExecutorService operations) {
        this.socket = socket;
        this.listener = listener;
        this.operations = operations;
    }

    static Path socketPath(Path stateDirectory) {
        return stateDirectory.resolve(SOCKET_NAME);
    }

    /**
     * Listens on {@code socket}, or logs why it cannot and returns null: the status report is worth a warning, never
     * a refusal to serve disks. A socket file left by a server that was killed is replaced; one that still answers
     * belongs to another server and is left alone.
     */
    static AdminEndpoint open(Path socket, EventLoopGroup boss, EventLoopGroup io, Server server) {
        ExecutorService operations = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("admin-operations").daemon().factory());
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
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel channel) {
                            channel.pipeline()
                                    .addLast(new ReadTimeoutHandler(REQUEST_TIMEOUT_SECONDS))
                                    .addLast(new LineBasedFrameDecoder(MAX_REQUEST_BYTES))
                                    .addLast(new RequestHandler(server, operations));
                        }
                    })
                    .bind(Transport.domainSocketAddress(socket)).sync().channel();
            try {
                // It reports and it resets, promotes and deletes clones: owner only (connecting needs write access).
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException | RuntimeException e) {
                listener.close().awaitUninterruptibly();
                throw e;
            }
            log.info("status endpoint on {} (jtarget status, jtarget image)", socket);
            return new AdminEndpoint(socket, listener, operations);
        } catch (Exception e) {
            operations.shutdownNow();
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
     * The client side: connects to {@code socket}, sends {@code request} and returns the server's answer.
     *
     * @throws IOException when nothing listens there or no complete answer comes within {@code timeout}
     */
    static Answer request(Path socket, String request, Duration timeout) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        String text;
        try (channel) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer line = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) {
                channel.write(line);
            }
            text = awaitAnswer(channel, timeout);
        }
        int newline = text.indexOf('\n');
        String verdict = newline < 0 ? text : text.substring(0, newline);
        if (!verdict.equals(OK) && !verdict.equals(FAILED)) {
            throw new IOException("not an answer of jtarget: '" + verdict + "'");
        }
        return new Answer(verdict.equals(OK), text.substring(newline + 1));
    }

    /** A blocking Unix socket has no read timeout; closing the channel from outside ends a read that hangs. */
    private static String awaitAnswer(SocketChannel channel, Duration timeout) throws IOException {
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
    static String report(String header, List<CacheStatistics> before, List<CacheStatistics> now,
                         List<String> imageCaches) {
        Map<String, CacheStatistics> earlier = new HashMap<>();
        before.forEach(statistics -> earlier.put(statistics.scope(), statistics));
        StringBuilder report = new StringBuilder(header).append('\n');
        for (CacheStatistics statistics : now) {
            report.append(statistics.toLogLine(earlier.get(statistics.scope()))).append('\n');
        }
        imageCaches.forEach(line -> report.append(line).append('\n'));
        return report.toString();
    }

    /** Stops listening, removes the socket file and abandons a waiting image operation. */
    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        operations.shutdownNow();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", socket, e.getMessage());
        }
    }

    /**
     * Reads one request line and answers it: {@code status} after {@link #RATE_WINDOW} (two cache snapshots, for
     * the flush rate), an image operation on the operations thread; then closes the connection.
     */
    private static final class RequestHandler extends ChannelInboundHandlerAdapter {
        private final Server server;
        private final ExecutorService operations;
        private boolean answered;

        RequestHandler(Server server, ExecutorService operations) {
            this.server = server;
            this.operations = operations;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            ByteBuf line = (ByteBuf) message;
            String request;
            try {
                request = line.toString(StandardCharsets.UTF_8).strip();
            } finally {
                line.release();
            }
            if (answered) {
                return; // one request per connection
            }
            answered = true;
            // The request is in; the answer may take as long as a promotion, with nothing more to read meanwhile.
            ctx.pipeline().remove(ReadTimeoutHandler.class);
            List<String> words = request.isEmpty() ? List.of() : Arrays.asList(request.split("\\s+"));
            if (words.equals(List.of("status"))) {
                List<CacheStatistics> before = server.cacheStatistics();
                ctx.executor().schedule(() -> answer(ctx, true, report(server.statusHeader(), before,
                        server.cacheStatistics(), server.imageCacheLines())), RATE_WINDOW.toMillis(),
                        TimeUnit.MILLISECONDS);
            } else if (!words.isEmpty() && words.getFirst().equals("image")) {
                try {
                    operations.execute(() -> image(ctx, words.subList(1, words.size())));
                } catch (RejectedExecutionException e) {
                    answer(ctx, false, "the server is stopping\n");
                }
            } else {
                answer(ctx, false, "unknown request '" + request + "': status or image ...\n");
            }
        }

        private void image(ChannelHandlerContext ctx, List<String> words) {
            try {
                answer(ctx, true, server.image(ImageRequest.parse(words)));
            } catch (CommandLine.UsageException | IOException e) {
                answer(ctx, false, e.getMessage() + "\n");
            } catch (RuntimeException e) {
                log.error("image operation '{}' failed", String.join(" ", words), e);
                answer(ctx, false, "internal error: " + e + "\n");
            }
        }

        private static void answer(ChannelHandlerContext ctx, boolean succeeded, String text) {
            ctx.writeAndFlush(Unpooled.copiedBuffer((succeeded ? OK : FAILED) + "\n" + text, StandardCharsets.UTF_8))
                    .addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof TooLongFrameException) {
                answer(ctx, false, "request line longer than " + MAX_REQUEST_BYTES + " bytes\n");
            } else {
                ctx.close(); // a read timeout or a client gone: nobody to answer
            }
        }
    }
}
