package dev.jtarget.backend.qcow2;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.RequestChecks;
import dev.jtarget.backend.file.HolePuncher;
import dev.jtarget.backend.image.ImageReadCache;
import dev.jtarget.backend.io.ChannelIo;
import dev.jtarget.backend.io.Positional;
import dev.jtarget.backend.io.Transfer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A copy-on-write disk: a qcow2 version 3 image (QEMU's docs/interop/qcow2.txt) whose backing file is a raw golden
 * image. Guest clusters never written read from the backing file (zeros past its end); the first write to one
 * allocates a host cluster, filled from the backing file around the written bytes. Discard and write-zeroes set the
 * L2 "all zeros" flag and free the host cluster, so such blocks read as zeros, not as the golden image; the next
 * flush punches a hole where the cluster was, giving its space back to the filesystem. Crash
 * consistency and locking of the data path are described in {@link ClusterIo}.
 *
 * <p>Requests run on the I/O threads, each under the read side of {@link #reuseGate}; freed clusters become
 * reusable only under its write side, so no request still using a freed cluster can see it handed to another guest
 * cluster. Not supported: compressed clusters, encryption, internal snapshots, extended L2 entries, external data
 * files, refcount widths other than 16 bits, backing formats other than raw, resizing, growing the refcount table.
 */
public final class Qcow2Overlay implements BlockBackend {
    /** 64 KiB clusters, QEMU's default. */
    public static final int DEFAULT_CLUSTER_BITS = 16;
    private static final Logger log = LoggerFactory.getLogger(Qcow2Overlay.class);
    private static final int IO_THREADS = 4;
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(30);

    private final Path path;
    private final Qcow2Header header;
    private final int blockSize;
    private final ChannelIo io;
    /** The backing image's cache when this overlay opened it itself (uncached), to be closed with the overlay. */
    private final ImageReadCache ownedBacking;
    private final ClusterIo clusters;
    /** Punches the holes of freed clusters; null where the filesystem or platform cannot. */
    private final HolePuncher puncher;
    private final ReentrantReadWriteLock reuseGate = new ReentrantReadWriteLock();
    /** One flush at a time, so the clusters one flush found releasable are not applied by another as well. */
    private final ReentrantLock flushing = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    private Qcow2Overlay(Path path, Qcow2Header header, int blockSize, FileChannel file, ImageReadCache backing,
                         ImageReadCache ownedBacking, SpaceAccount space) throws IOException {
        this.path = path;
        this.header = header;
        this.blockSize = blockSize;
        this.ownedBacking = ownedBacking;
        this.io = new ChannelIo(file, Transfer.through(Positional.of(file)), "qcow2-io-" + path.getFileName(),
                IO_THREADS, describe());
        HolePuncher opened = null;
        try {
            opened = HolePuncher.open(path).orElse(null);
            this.clusters = new ClusterIo(header, io, file, backing, space, opened);
        } catch (IOException | RuntimeException e) {
            if (opened != null) {
                opened.close();
            }
            io.shutdown(Duration.ZERO); // stops the I/O threads; the caller closes the file
            throw e;
        }
        this.puncher = opened;
    }

    /** Creates an empty overlay of {@code backingRawImage} with 64 KiB clusters. */
    public static void create(Path overlay, Path backingRawImage, long virtualSize) throws IOException {
        create(overlay, backingRawImage, virtualSize, DEFAULT_CLUSTER_BITS);
    }

    /**
     * Creates an empty overlay (metadata only, so it takes milliseconds whatever the size) recording the absolute
     * path of {@code backingRawImage} and the backing format {@code raw}. Refuses to overwrite an existing file.
     */
    public static void create(Path overlay, Path backingRawImage, long virtualSize, int clusterBits)
            throws IOException {
        Qcow2Creator.create(overlay, backingRawImage, virtualSize, clusterBits);
    }

    /**
     * Opens an overlay for reading and writing, refusing images with features we do not implement (see
     * {@link Qcow2Header#decode}) or a backing file that is not raw. The backing image is opened for this overlay
     * alone and read without a cache.
     */
    public static Qcow2Overlay open(Path overlay, int blockSize) throws IOException {
        return open(overlay, blockSize, null);
    }

    /**
     * Opens an overlay whose backing image is read through {@code sharedBacking}, the read cache every clone of
     * that image shares (the caller closes it after the overlays); refuses an overlay with another backing file.
     * With {@code sharedBacking} null, as {@link #open(Path, int)}.
     */
    public static Qcow2Overlay open(Path overlay, int blockSize, ImageReadCache sharedBacking) throws IOException {
        return open(overlay, blockSize, sharedBacking, SpaceAccount.UNLIMITED);
    }

    /**
     * As {@link #open(Path, int, ImageReadCache)}, with every cluster the overlay allocates reported to {@code space},
     * which {@link #promise} asks before a write is accepted.
     */
    public static Qcow2Overlay open(Path overlay, int blockSize, ImageReadCache sharedBacking, SpaceAccount space)
            throws IOException {
        FileChannel file = FileChannel.open(overlay, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ImageReadCache owned = null;
        try {
            Qcow2Header header = readHeader(file, overlay);
            if (header.virtualSize() % blockSize != 0) {
                throw new IOException(overlay + ": virtual size " + header.virtualSize()
                        + " is not a multiple of the " + blockSize + "-byte block size");
            }
            ImageReadCache backing = null;
            if (header.backingFile() != null) {
                if (!"raw".equals(header.backingFormat())) {
                    throw new IOException(overlay + ": backing format " + header.backingFormat()
                            + "; only raw backing images are supported (create with -F raw)");
                }
                Path backingPath = backingPath(overlay, header);
                if (sharedBacking != null) {
                    if (!backingPath.equals(sharedBacking.path())) {
                        throw new IOException(overlay + ": its backing image is " + backingPath + ", not "
                                + sharedBacking.path());
                    }
                    backing = sharedBacking;
                } else {
                    owned = openBacking(overlay, backingPath);
                    backing = owned;
                }
            }
            Qcow2Overlay opened = new Qcow2Overlay(overlay, header, blockSize, file, backing, owned, space);
            log.info("opened qcow2 overlay {} ({} bytes, {}-byte clusters, backing {}{})", overlay,
                    header.virtualSize(), header.clusterSize(), header.backingFile(),
                    backing == owned ? "" : " through its shared read cache");
            return opened;
        } catch (IOException | RuntimeException e) {
            file.close();
            if (owned != null) {
                owned.close();
            }
            throw e;
        }
    }

    /**
     * What the header of {@code overlay} records: its virtual size and its backing image (null when it has none),
     * read without opening the file for writing, so a clone in use can be inspected too.
     */
    public static Qcow2Summary summary(Path overlay) throws IOException {
        try (FileChannel file = FileChannel.open(overlay, StandardOpenOption.READ)) {
            Qcow2Header header = Qcow2Header.decode(firstCluster(file, overlay), overlay.toString());
            return new Qcow2Summary(header.virtualSize(),
                    header.backingFile() == null ? null : backingPath(overlay, header));
        }
    }

    /** A relative backing file name is relative to the overlay's directory, as QEMU resolves it. */
    private static Path backingPath(Path overlay, Qcow2Header header) {
        return overlay.toAbsolutePath().getParent().resolve(header.backingFile()).normalize();
    }

    private static ImageReadCache openBacking(Path overlay, Path backingPath) throws IOException {
        try {
            return ImageReadCache.open(backingPath, 0);
        } catch (IOException e) {
            throw new IOException(overlay + ": cannot open its backing image " + backingPath + ": " + e, e);
        }
    }

    private static Qcow2Header readHeader(FileChannel file, Path overlay) throws IOException {
        ByteBuffer firstCluster = firstCluster(file, overlay);
        Qcow2Header header = Qcow2Header.decode(firstCluster, overlay.toString());
        if (header.autoclearFeatures() != 0) {
            // Spec: a writer that does not understand an autoclear bit clears it (e.g. bitmaps extension present).
            Qcow2Header.clearAutoclear(firstCluster);
            Qcow2Io.writeFully(file, firstCluster.clear(), 0);
            file.force(false);
        }
        return header;
    }

    private static ByteBuffer firstCluster(FileChannel file, Path overlay) throws IOException {
        ByteBuffer start = ByteBuffer.allocate(512);
        Qcow2Io.readFully(file, start, 0);
        int clusterBits = start.getInt(20);
        if (start.getInt(0) != Qcow2Header.MAGIC || clusterBits < 9 || clusterBits > 21) {
            throw new IOException(overlay + " is not a qcow2 image (bad magic or cluster bits)");
        }
        ByteBuffer firstCluster = ByteBuffer.allocate(1 << clusterBits);
        Qcow2Io.readFully(file, firstCluster, 0);
        return firstCluster;
    }

    @Override
    public long sizeBytes() {
        return header.virtualSize();
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    /** The unit the overlay allocates in: a write to part of an unallocated cluster allocates all of it. */
    public long clusterSize() {
        return header.clusterSize();
    }

    @Override
    public BackendCapabilities capabilities() {
        // Discard sets the zero flag, so discarded blocks read as zeros (LBPRZ) rather than as the backing image.
        return new BackendCapabilities(true, true, true, false);
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        return submit("read", offset, destination.remaining(), Kind.READ_ERROR, false,
                () -> clusters.read(offset, destination));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        long length = GatheredCursor.length(sources);
        return submit("write", offset, length, Kind.WRITE_ERROR, fua, () -> clusters.write(offset, sources, length));
    }

    /**
     * Called when a write of {@code [offset, offset + length)} is accepted, before a cache above acknowledges it: sets
     * aside in the {@link SpaceAccount} the clusters it may allocate when it reaches this overlay, unless they are
     * ours already. Returns false when the account has no room for them; the write must then be refused. Never
     * blocks.
     */
    public boolean promise(long offset, long length) {
        return length == 0 || clusters.promise(offset, length);
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return submit("discard", offset, length, Kind.WRITE_ERROR, false, () -> clusters.zeroRange(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return submit("write zeroes", offset, length, Kind.WRITE_ERROR, fua,
                () -> clusters.zeroRange(offset, length));
    }

    @Override
    public CompletableFuture<Void> flush() {
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedFailure("flush"));
        }
        return io.submit("flush", Kind.WRITE_ERROR, this::flushAll);
    }

    /**
     * Runs a request on an I/O thread under the read side of the reuse gate; with {@code flushAfter} (FUA) the
     * metadata and data are made durable afterwards, outside the gate, which the flush itself needs.
     */
    private CompletableFuture<Void> submit(String operation, long offset, long length, Kind kind,
                                           boolean flushAfter, ChannelIo.IoTask task) {
        BackendException outside = RequestChecks.range(operation, offset, length, sizeBytes(), 1, describe());
        if (outside != null) {
            return CompletableFuture.failedFuture(outside);
        }
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedFailure(operation));
        }
        return io.submit(operation + " " + offset + "+" + length, kind, () -> {
            reuseGate.readLock().lock();
            try {
                if (closed.get()) {
                    throw closedFailure(operation);
                }
                task.run();
            } finally {
                reuseGate.readLock().unlock();
            }
            if (flushAfter) {
                flushAll();
            }
        });
    }

    private BackendException closedFailure(String operation) {
        return new BackendException(Kind.NOT_READY, operation + " refused: " + describe() + " is closed");
    }

    /**
     * A flush: writes the metadata back, then drops the refcounts of clusters whose release is now durable — only
     * once no request is in flight (write side of the reuse gate) — and writes those refcounts too, so a flushed
     * image has neither corruption nor leaks.
     */
    private void flushAll() throws IOException {
        flushing.lock();
        try {
            Set<Long> releasable = clusters.writeBackMetadata();
            if (releasable.isEmpty()) {
                return;
            }
            reuseGate.writeLock().lock();
            try {
                clusters.applyReleases(releasable);
            } finally {
                reuseGate.writeLock().unlock();
            }
        } finally {
            flushing.unlock();
        }
    }

    /**
     * Waits for requests in flight, writes the metadata back so the image is complete for qemu-img (a crash-safe
     * image needs no flush, but an overlay without its metadata would lose every allocating write), then releases
     * the files.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // A barrier: requests already past the closed check finish; later ones see it and fail.
        reuseGate.writeLock().lock();
        reuseGate.writeLock().unlock();
        try {
            flushAll();
        } catch (IOException | RuntimeException e) {
            log.warn("writing the metadata of {} back on close failed", path, e);
        }
        clusters.cancelPromises();
        try {
            io.shutdown(CLOSE_GRACE);
            if (puncher != null) {
                puncher.close();
            }
            if (ownedBacking != null) {
                ownedBacking.close();
            }
        } catch (IOException e) {
            log.warn("closing {} failed", path, e);
        }
    }

    @Override
    public String describe() {
        return "qcow2 " + path;
    }
}
