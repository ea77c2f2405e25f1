package dev.jtarget.server;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.device.DeviceBackend;
import dev.jtarget.backend.device.DeviceBackendOptions;
import dev.jtarget.backend.file.FileBackend;
import dev.jtarget.backend.file.FileBackendOptions;
import dev.jtarget.backend.nbd.NbdServer;
import dev.jtarget.config.PeerConfig;
import dev.jtarget.config.PeerExportConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Our NBD peer server with its exports opened: what {@code jtarget peer} runs, and what {@code jtarget serve} runs next
 * to the target for a {@code <peer>} section. Either everything starts or nothing stays open; {@link #close()} stops
 * serving, then flushes and closes every export.
 */
final class PeerServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerServer.class);
    /** Bounds the flush of each export on close; a disk that does not answer must not hang the shutdown. */
    private static final long FLUSH_TIMEOUT_SECONDS = 60;

    private final NbdServer server;
    private final Map<String, BlockBackend> exports;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);

    private PeerServer(NbdServer server, Map<String, BlockBackend> exports) {
        this.server = server;
        this.exports = exports;
    }

    /**
     * Opens every export (relative paths against {@code baseDir}) and starts serving them.
     *
     * @throws IOException when an export cannot be opened or the address cannot be bound
     */
    static PeerServer start(PeerConfig config, Path baseDir) throws IOException {
        Map<String, BlockBackend> exports = new LinkedHashMap<>();
        try {
            for (PeerExportConfig export : config.exports()) {
                exports.put(export.name(), open(export, baseDir));
            }
            InetSocketAddress listen = new InetSocketAddress(config.listen().host(), config.listen().port());
            NbdServer server = NbdServer.start(listen, exports);
            for (Map.Entry<String, BlockBackend> export : exports.entrySet()) {
                log.info("NBD export '{}': {} ({} bytes{})", export.getKey(), export.getValue().describe(),
                        export.getValue().sizeBytes(), export.getValue().capabilities().readOnly() ? ", read-only" : "");
            }
            return new PeerServer(server, Map.copyOf(exports));
        } catch (IOException | RuntimeException e) {
            exports.values().forEach(BlockBackend::close);
            throw e;
        }
    }

    /** A block device is served whole and held exclusively; anything else is a file of the configured size. */
    private static BlockBackend open(PeerExportConfig export, Path baseDir) throws IOException {
        Path path = baseDir.resolve(export.path());
        if (DeviceBackend.isBlockDevice(path)) {
            if (export.sizeBytes().isPresent()) {
                throw new IOException("export '" + export.name() + "': " + path
                        + " is a block device, served at its own size; leave out the size");
            }
            return DeviceBackend.open(DeviceBackendOptions.of(path).withReadOnly(export.readOnly()));
        }
        long size;
        if (export.sizeBytes().isPresent()) {
            size = export.sizeBytes().getAsLong();
        } else if (Files.isRegularFile(path)) {
            size = Files.size(path);
            if (size == 0 || size % PeerExportConfig.BLOCK_SIZE != 0) {
                throw new IOException("export '" + export.name() + "': " + path + " is " + size
                        + " bytes, not a positive multiple of " + PeerExportConfig.BLOCK_SIZE);
            }
        } else {
            throw new IOException("export '" + export.name() + "': " + path
                    + " does not exist; give a size to create it");
        }
        return FileBackend.open(FileBackendOptions.of(path, size, PeerExportConfig.BLOCK_SIZE)
                .withReadOnly(export.readOnly()));
    }

    /** The TCP port served (the one chosen when the configuration asked for port 0). */
    int port() {
        return server.port();
    }

    /** Stops serving (connections finish the commands they started), then flushes and closes every export. */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        try {
            server.close();
            List<String> unflushed = new ArrayList<>();
            for (Map.Entry<String, BlockBackend> export : exports.entrySet()) {
                try {
                    export.getValue().flush().get(FLUSH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    unflushed.add(export.getKey());
                    log.error("NBD export '{}': flush on shutdown failed: {}", export.getKey(), e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    unflushed.add(export.getKey());
                }
                export.getValue().close();
            }
            log.info("NBD peer stopped{}", unflushed.isEmpty() ? "" : "; not flushed: " + unflushed);
        } finally {
            closed.countDown();
        }
    }

    void awaitClosed() throws InterruptedException {
        closed.await();
    }
}
