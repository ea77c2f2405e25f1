package dev.jtarget.backend.nbd;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.RequestChecks;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LUN whose blocks live on a remote peer speaking the Network Block Device protocol: qemu-nbd, nbdkit, nbd-server,
 * a storage system exporting NBD, or our own {@link NbdServer}.
 *
 * <p>Reads and writes become NBD_CMD_READ/WRITE (split at the negotiated maximum payload, FUA passed through), flush
 * becomes NBD_CMD_FLUSH, discard NBD_CMD_TRIM and write-zeroes NBD_CMD_WRITE_ZEROES (emulated with FLUSH or plain
 * writes of zeros where the server lacks FUA or WRITE_ZEROES). Many requests are in flight at once, over several
 * connections when the server advertises CAN_MULTI_CONN.
 *
 * <p>When the peer goes away, unanswered reads and writes are retried after reconnection (with exponential backoff);
 * while it stays away they wait up to {@link NbdClientOptions#unavailableTimeout()} and then fail with NOT_READY.
 * Flushes fail with NOT_READY at once while it is away, and once after any connection loss that may have lost
 * completed but unflushed writes (see {@link NbdConnectionPool}).
 *
 * <p>Futures complete on the backend's own event-loop threads: callers must not block in their callbacks.
 */
public final class NbdBackend implements BlockBackend {
    private static final Logger log = LoggerFactory.getLogger(NbdBackend.class);
    /**
     * TRIM and WRITE_ZEROES carry no payload, so servers accept lengths beyond the maximum block size, but the length
     * field has 32 bits; 1 GiB is a power of two (so stays aligned) and far from that limit.
     */
    private static final int MAX_ZEROING_BYTES = 1 << 30;
    private static final int ZERO_BUFFER_BYTES = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_BUFFER_BYTES).asReadOnlyBuffer();

    private final NbdUri uri;
    private final EventLoopGroup group;
    private final NbdConnectionPool pool;
    private final List<NbdConnector> connectors;
    private final NbdExportInfo export;
    private final NbdGeometry geometry;

    private NbdBackend(NbdUri uri, EventLoopGroup group, NbdConnectionPool pool, List<NbdConnector> connectors,
                       NbdExportInfo export, NbdGeometry geometry) {
        this.uri = uri;
        this.group = group;
        this.pool = pool;
        this.connectors = connectors;
        this.export = export;
        this.geometry = geometry;
    }

    /**
     * Connects to the export and negotiates it; further connections (multi-conn) are opened in the background.
     *
     * @throws IOException when the peer cannot be reached within the connect timeout, refuses the export, or
     *                     imposes block size constraints the options cannot meet
     */
    public static NbdBackend connect(NbdUri uri, NbdClientOptions options) throws IOException {
        NbdTransport transport = NbdTransport.select(options.preferNativeTransport());
        int threads = Math.min(options.maxConnections(), Runtime.getRuntime().availableProcessors());
        EventLoopGroup group = transport.newEventLoopGroup(threads, "nbd-client");
        String peer = uri.toString();
        NbdConnectionPool pool = new NbdConnectionPool(peer, options.maxInFlightPerConnection(),
                options.unavailableTimeout().toNanos(), group.next());
        NbdExportGate gate = new NbdExportGate(options, peer);
        List<NbdConnector> connectors = new ArrayList<>();
        connectors.add(new NbdConnector(uri, peer + " #1", transport, group, options, gate, pool));
        try {
            // The connect timeout bounds the TCP connect and, separately, the handshake.
            connectors.getFirst().start().get(2 * options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            connectors.getFirst().close();
            pool.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            String reason = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            throw new IOException("cannot open " + peer + ": " + reason, cause);
        }
        NbdExportInfo export = gate.first();
        NbdGeometry geometry = gate.geometry();
        int connections = export.has(NbdProtocol.FLAG_CAN_MULTI_CONN) ? options.maxConnections() : 1;
        for (int i = 2; i <= connections; i++) {
            NbdConnector connector = new NbdConnector(uri, peer + " #" + i, transport, group, options, gate, pool);
            connectors.add(connector);
            connector.start();
        }
        log.info("opened NBD backend {} ({} bytes, {}-byte blocks, {} connection(s), flags 0x{}, {})", peer,
                geometry.sizeBytes(), geometry.blockSize(), connections,
                Integer.toHexString(export.transmissionFlags()), transport);
        return new NbdBackend(uri, group, pool, List.copyOf(connectors), export, geometry);
    }

    @Override
    public long sizeBytes() {
        return geometry.sizeBytes();
    }

    @Override
    public int blockSize() {
        return geometry.blockSize();
    }

    @Override
    public BackendCapabilities capabilities() {
        boolean readOnly = export.has(NbdProtocol.FLAG_READ_ONLY);
        // NBD TRIM promises nothing about what the range reads as afterwards, so no LBPRZ.
        return new BackendCapabilities(export.has(NbdProtocol.FLAG_SEND_TRIM) && !readOnly, false,
                export.has(NbdProtocol.FLAG_SEND_FLUSH), readOnly);
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        int length = destination.remaining();
        BackendException invalid = checkRange("read", offset, length);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        List<NbdRequest> requests = new ArrayList<>();
        for (int done = 0; done < length; done += geometry.maxPayload()) {
            int chunk = Math.min(geometry.maxPayload(), length - done);
            ByteBuffer slice = destination.duplicate();
            slice.position(destination.position() + done).limit(destination.position() + done + chunk);
            requests.add(NbdRequest.read(offset + done, slice));
        }
        return submitAll(requests, () -> destination.position(destination.limit()));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        long length = 0;
        for (ByteBuffer source : sources) {
            length += source.remaining();
        }
        BackendException invalid = checkWritable("write", offset, length);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        List<NbdRequest> requests = new ArrayList<>();
        long position = offset;
        for (ByteBuffer[] chunk : GatheredChunks.split(sources, geometry.maxPayload())) {
            int chunkLength = GatheredChunks.length(chunk);
            requests.add(NbdRequest.write(position, chunk, chunkLength, fua && sendsFua()));
            position += chunkLength;
        }
        CompletableFuture<Void> written = submitAll(requests, () -> {
            for (ByteBuffer source : sources) {
                source.position(source.limit());
            }
        });
        return fua ? flushUnlessFuaWasSent(written) : written;
    }

    @Override
    public CompletableFuture<Void> flush() {
        if (!export.has(NbdProtocol.FLAG_SEND_FLUSH)) {
            // The server has no volatile cache to flush: what it acknowledged is already durable.
            return CompletableFuture.completedFuture(null);
        }
        NbdRequest request = NbdRequest.flush();
        pool.submit(request);
        return request.result;
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        BackendException invalid = checkWritable("discard", offset, length);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        if (!export.has(NbdProtocol.FLAG_SEND_TRIM)) {
            // Discard is advisory; capabilities() told the layers above it does nothing here.
            return CompletableFuture.completedFuture(null);
        }
        List<NbdRequest> requests = new ArrayList<>();
        for (long done = 0; done < length; done += MAX_ZEROING_BYTES) {
            requests.add(NbdRequest.trim(offset + done, (int) Math.min(MAX_ZEROING_BYTES, length - done)));
        }
        return submitAll(requests, () -> { });
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        BackendException invalid = checkWritable("write zeroes", offset, length);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        List<NbdRequest> requests = new ArrayList<>();
        if (export.has(NbdProtocol.FLAG_SEND_WRITE_ZEROES)) {
            // Without NBD_CMD_FLAG_NO_HOLE the server may deallocate, as the interface allows.
            for (long done = 0; done < length; done += MAX_ZEROING_BYTES) {
                int chunk = (int) Math.min(MAX_ZEROING_BYTES, length - done);
                requests.add(NbdRequest.writeZeroes(offset + done, chunk, fua && sendsFua()));
            }
        } else {
            for (long done = 0; done < length; done += geometry.maxPayload()) {
                int chunk = (int) Math.min(geometry.maxPayload(), length - done);
                requests.add(NbdRequest.write(offset + done, GatheredChunks.repeat(ZEROS, chunk), chunk,
                        fua && sendsFua()));
            }
        }
        CompletableFuture<Void> zeroed = submitAll(requests, () -> { });
        return fua ? flushUnlessFuaWasSent(zeroed) : zeroed;
    }

    private boolean sendsFua() {
        return export.has(NbdProtocol.FLAG_SEND_FUA);
    }

    /** FUA on a server without NBD_FLAG_SEND_FUA: the same durability from a FLUSH after the write. */
    private CompletableFuture<Void> flushUnlessFuaWasSent(CompletableFuture<Void> written) {
        if (sendsFua() || !export.has(NbdProtocol.FLAG_SEND_FLUSH)) {
            return written;
        }
        CompletableFuture<Void> durable = new CompletableFuture<>();
        written.whenComplete((ignored, failure) -> {
            if (failure != null) {
                durable.completeExceptionally(failure);
            } else {
                flush().whenComplete((flushed, flushFailure) -> {
                    if (flushFailure != null) {
                        durable.completeExceptionally(flushFailure);
                    } else {
                        durable.complete(null);
                    }
                });
            }
        });
        return durable;
    }

    /**
     * Submits the requests and completes once every one of them has (the caller's buffers must stay ours until then),
     * failing with the first failure, as the plain {@link BackendException} the interface promises.
     */
    private CompletableFuture<Void> submitAll(List<NbdRequest> requests, Runnable onSuccess) {
        CompletableFuture<Void> all = new CompletableFuture<>();
        if (requests.isEmpty()) {
            onSuccess.run();
            all.complete(null);
            return all;
        }
        AtomicInteger remaining = new AtomicInteger(requests.size());
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        for (NbdRequest request : requests) {
            request.result.whenComplete((ignored, failure) -> {
                if (failure != null) {
                    firstFailure.compareAndSet(null, failure);
                }
                if (remaining.decrementAndGet() == 0) {
                    if (firstFailure.get() == null) {
                        onSuccess.run();
                        all.complete(null);
                    } else {
                        all.completeExceptionally(firstFailure.get());
                    }
                }
            });
        }
        requests.forEach(pool::submit);
        return all;
    }

    private BackendException checkWritable(String operation, long offset, long length) {
        return RequestChecks.writable(operation, offset, length, geometry.sizeBytes(), geometry.blockSize(),
                export.has(NbdProtocol.FLAG_READ_ONLY), describe());
    }

    private BackendException checkRange(String operation, long offset, long length) {
        // The server may refuse requests not aligned to its minimum block size, which ours is a multiple of.
        return RequestChecks.range(operation, offset, length, geometry.sizeBytes(), geometry.blockSize(), describe());
    }

    /** Connections currently taking requests (for tests and diagnostics). */
    int readyConnections() {
        return pool.readyConnections();
    }

    @Override
    public void close() {
        pool.close();
        connectors.forEach(NbdConnector::close);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        log.info("closed NBD backend {}", uri);
    }

    @Override
    public String describe() {
        return "nbd " + uri;
    }
}
