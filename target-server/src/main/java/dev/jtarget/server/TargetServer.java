package dev.jtarget.server;

import dev.jtarget.cache.CacheStatistics;
import dev.jtarget.cache.WriteBackCache;
import dev.jtarget.config.ClonePerInitiatorConfig;
import dev.jtarget.config.ImageConfig;
import dev.jtarget.config.LunConfig;
import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.ServerConfig;
import dev.jtarget.config.TargetConfig;
import dev.jtarget.iscsi.login.TargetLimits;
import dev.jtarget.iscsi.pdu.CodecSettings;
import dev.jtarget.iscsi.pdu.PduEncoder;
import dev.jtarget.iscsi.pdu.PduFrameDecoder;
import dev.jtarget.iscsi.session.ConnectionGuard;
import dev.jtarget.iscsi.session.IscsiConnection;
import dev.jtarget.iscsi.session.ServerContext;
import dev.jtarget.iscsi.session.SessionRegistry;
import dev.jtarget.scsi.ClonePerInitiatorTarget;
import dev.jtarget.scsi.LogicalUnit;
import dev.jtarget.scsi.ScsiTarget;
import dev.jtarget.scsi.ScsiTargetDevice;
import dev.jtarget.backend.BlockBackend;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running server: opens every LUN's backend, builds one SCSI device per target and listens on every portal.
 * Either all of it starts or none of it stays open. {@link #close()} stops accepting, ends the sessions, flushes
 * every backend and releases everything.
 */
public final class TargetServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TargetServer.class);

    private final Map<String, ScsiTargetDevice> devices;
    private final List<InitiatorClones> clones;
    private final ImageCaches imageCaches;
    private final ImageOperations imageOperations;
    private final WriteBackCache cache;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup ioGroup;
    private final ChannelGroup channels = new DefaultChannelGroup("jtarget", GlobalEventExecutor.INSTANCE);
    private final List<Channel> listeners = new ArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final long startedAtNanos = System.nanoTime();
    private volatile AdminEndpoint admin;
    private volatile boolean closing;

    private TargetServer(Map<String, ScsiTargetDevice> devices, List<ImageOperations.CloneTarget> cloneTargets,
                         ImageCaches imageCaches, ImageOperations imageOperations, WriteBackCache cache,
                         EventLoopGroup bossGroup, EventLoopGroup ioGroup) {
        this.devices = devices;
        this.clones = cloneTargets.stream().map(ImageOperations.CloneTarget::clones).toList();
        this.imageCaches = imageCaches;
        this.imageOperations = imageOperations;
        this.cache = cache;
        this.bossGroup = bossGroup;
        this.ioGroup = ioGroup;
    }

    public static TargetServer start(ServerConfig config) throws Exception {
        return start(config, ServerLimits.DEFAULTS.withNopIn(config.nopIn()), UnaryOperator.identity());
    }

    /**
     * Starts with other timers and caps than the defaults (tests use short login timeouts and small caps); the
     * configuration's {@code <nop-in>} is ignored in favour of {@code limits}.
     */
    public static TargetServer start(ServerConfig config, ServerLimits limits) throws Exception {
        return start(config, limits, UnaryOperator.identity());
    }

    /**
     * Starts with every LUN's opened backend passed through {@code decorateBackend} before the cache is attached: the
     * seam end-to-end tests use to put a fault-injecting or delaying backend under the cache of a real server.
     */
    static TargetServer start(ServerConfig config, ServerLimits limits, UnaryOperator<BlockBackend> decorateBackend)
            throws Exception {
        WriteBackCache cache = new WriteBackCache(config.cache().arenaBytes(), config.cache().flushers());
        Map<String, ScsiTargetDevice> devices;
        List<ImageOperations.CloneTarget> clones = new ArrayList<>();
        ImageCaches imageCaches = new ImageCaches();
        ImageCatalog catalog;
        try {
            catalog = ImageCatalog.load(config, stateDirectory(config), imageCaches);
            devices = openDevices(config, cache, imageCaches, catalog, decorateBackend, clones);
        } catch (Exception e) {
            cache.close();
            imageCaches.close();
            throw e;
        }
        ConnectionGuard guard = new ConnectionGuard(limits.maxConnections(), limits.maxConnectionsPerAddress(),
                limits.authenticationFailureDelay(), limits.maxAuthenticationFailureDelay());
        ServerContext context = new ServerContext(config.targets(), devices, config.portals(),
                new SessionRegistry(limits.maxSessions()), TargetLimits.DEFAULTS, limits.loginTimeout(),
                limits.nopInterval(), limits.nopTimeout(), guard);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, Transport.ioHandlerFactory());
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                Transport.ioHandlerFactory());
        ImageOperations imageOperations = new ImageOperations(clones, catalog, imageCaches, Clock.systemUTC());
        TargetServer server = new TargetServer(devices, clones, imageCaches, imageOperations, cache, boss, io);
        try {
            server.listen(config.portals(), context);
            server.admin = AdminEndpoint.open(AdminEndpoint.socketPath(stateDirectory(config)), boss, io,
                    server.adminView());
        } catch (Exception e) {
            server.close();
            throw e;
        }
        log.info("serving {} target(s) on {} ({} transport)", devices.size(), config.portals(), Transport.name());
        return server;
    }

    /**
     * Every LUN goes through the shared write-back cache. A LUN with write-cache off still does: the SCSI layer then
     * marks every write FUA, which the cache writes through, and MODE SELECT can switch WCE on later.
     */
    private static Map<String, ScsiTargetDevice> openDevices(ServerConfig config, WriteBackCache cache,
                                                             ImageCaches imageCaches, ImageCatalog catalog,
                                                             UnaryOperator<BlockBackend> decorateBackend,
                                                             List<ImageOperations.CloneTarget> clones)
            throws Exception {
        Map<String, ScsiTargetDevice> devices = new LinkedHashMap<>();
        List<BlockBackend> opened = new ArrayList<>();
        try {
            for (TargetConfig target : config.targets()) {
                if (target.clones().isPresent()) {
                    // A clone is opened when its initiator logs in, not now: which initiators come is not known yet.
                    ClonePerInitiatorConfig clone = target.clones().get();
                    ImageConfig image = catalog.imageFor(target.name(), clone);
                    InitiatorClones source = new InitiatorClones(target.name(), clone, image, cache, imageCaches,
                            decorateBackend, Clock.systemUTC());
                    ClonePerInitiatorTarget device = new ClonePerInitiatorTarget(target.name(), clone.lunId(), source);
                    clones.add(new ImageOperations.CloneTarget(source, device));
                    devices.put(target.name().toLowerCase(Locale.ROOT), device);
                    log.info("{} LUN {}: a clone of image '{}' ({}) per initiator in {} ({} bytes, on-logout {})",
                            target.name(), clone.lunId(), image.name(), image.path(), clone.dir(),
                            clone.sizeBytes(), clone.onLogout().name().toLowerCase(Locale.ROOT));
                    continue;
                }
                List<LogicalUnit> units = new ArrayList<>();
                for (LunConfig lun : target.luns()) {
                    BlockBackend raw = decorateBackend.apply(Backends.open(lun, config.baseDir()));
                    BlockBackend backend;
                    try {
                        backend = cache.attach(raw, target.name() + "/lun" + lun.id());
                    } catch (RuntimeException e) {
                        raw.close();
                        throw e;
                    }
                    opened.add(backend);
                    units.add(LogicalUnit.create(target.name(), lun, backend, stateDirectory(config)));
                    log.info("{} LUN {}: {} ({} bytes, {}-byte blocks, write cache {}{})", target.name(), lun.id(),
                            backend.describe(), backend.sizeBytes(), lun.blockSize(),
                            lun.writeCache() ? "on" : "off", lun.readOnly() ? ", read-only" : "");
                }
                devices.put(target.name().toLowerCase(Locale.ROOT), new ScsiTarget(target.name(), units));
            }
        } catch (Exception e) {
            for (BlockBackend backend : opened) {
                backend.close();
            }
            throw e;
        }
        return devices;
    }

    /**
     * Where state that must survive a restart (persistent reservations with APTPL) is kept: a {@code state}
     * directory next to the configuration file, so one config and its state move together.
     */
    private static Path stateDirectory(ServerConfig config) {
        return stateDirectory(config.source(), config.baseDir());
    }

    /** The state directory of a server started on configuration file {@code source} (also for {@code status}). */
    static Path stateDirectory(Path source, Path baseDir) {
        Path parent = source.toAbsolutePath().getParent();
        return (parent == null ? baseDir : parent).resolve("state");
    }

    private void listen(List<PortalConfig> portals, ServerContext context) throws Exception {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(Transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        if (closing) {
                            channel.close();
                            return;
                        }
                        channels.add(channel);
                        CodecSettings codec = new CodecSettings();
                        channel.pipeline()
                                .addLast("decoder", new PduFrameDecoder(codec))
                                .addLast("encoder", new PduEncoder(codec))
                                .addLast("iscsi", new IscsiConnection(context, codec));
                    }
                });
        for (PortalConfig portal : portals) {
            InetSocketAddress address = new InetSocketAddress(portal.host(), portal.port());
            try {
                Channel listener = bootstrap.bind(address).sync().channel();
                listeners.add(listener);
                log.info("listening on {}", portal);
            } catch (Exception e) {
                throw new java.io.IOException("cannot listen on " + portal + ": " + e.getMessage(), e);
            }
        }
    }

    /** The write-back cache's statistics: cache-wide first, then one per LUN (for the status command and tests). */
    public List<CacheStatistics> cacheStatistics() {
        List<CacheStatistics> all = new ArrayList<>();
        all.add(cache.statistics());
        all.addAll(cache.lunStatistics());
        return all;
    }

    /** What the admin endpoint reports and operates on. */
    private AdminEndpoint.Server adminView() {
        return new AdminEndpoint.Server() {
            @Override
            public String statusHeader() {
                return TargetServer.this.statusHeader();
            }

            @Override
            public List<CacheStatistics> cacheStatistics() {
                return TargetServer.this.cacheStatistics();
            }

            @Override
            public List<String> imageCacheLines() {
                return imageCaches.statusLines();
            }

            @Override
            public String image(ImageRequest request) throws IOException {
                return imageOperations.run(request);
            }
        };
    }

    private String statusHeader() {
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedAtNanos);
        return String.format(Locale.ROOT, "jtarget: up %d:%02d:%02d, %d target(s) on %s (%s transport)",
                seconds / 3600, seconds / 60 % 60, seconds % 60, devices.size(), boundAddresses().stream()
                        .map(address -> address.getAddress().getHostAddress() + ":" + address.getPort()).toList(),
                Transport.name());
    }

    /** The addresses actually bound (useful when a portal asked for port 0). */
    public List<InetSocketAddress> boundAddresses() {
        return listeners.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
    }

    /** Graceful shutdown: stop accepting, end every connection, flush and close every backend. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        try {
            log.info("shutting down: no new connections");
            if (admin != null) {
                admin.close();
            }
            for (Channel listener : listeners) {
                listener.close().awaitUninterruptibly();
            }
            clones.forEach(InitiatorClones::stopping);
            if (!channels.isEmpty()) {
                log.info("closing {} connection(s)", channels.size());
            }
            channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
            for (Map.Entry<String, ScsiTargetDevice> entry : devices.entrySet()) {
                try {
                    entry.getValue().flushAll().get(5, TimeUnit.MINUTES);
                    log.info("{}: flushed to its backends", entry.getKey());
                } catch (Exception e) {
                    log.error("{}: flush on shutdown failed: {}", entry.getKey(), e.toString());
                }
                entry.getValue().close();
            }
            cache.close();
            imageCaches.close(); // after the clones: writing back their cached data may copy image blocks on write
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            log.info("shutdown complete");
        } finally {
            closed.countDown();
        }
    }

    public void awaitClosed() throws InterruptedException {
        closed.await();
    }
}
