package dev.jtarget.backend.qcow2;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.io.ChannelIo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
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
 * L2 "all zeros" flag and free the host cluster, so such blocks read as zeros, not as the golden image.
 *
 * <p>Ordering for crash consistency (no lazy refcounts, the dirty bit is never set): guest data and COW copies go to
 * the file at once; metadata changes stay in memory and are written by {@link #writeBackMetadata} in dependency
 * order with an fdatasync between stages: refcount blocks (with the data), refcount table, L2 tables, L1 table. A
 * freed cluster's refcount drops only after its L2 entry's removal is durable. A crash at any point thus leaves at
 * worst leaked clusters, which {@code qemu-img check -r leaks} reclaims.
 *
 * <p>Concurrency: requests run on the I/O threads; the metadata lock serialises table lookups and updates (and the
 * whole of an allocating write, COW copy included), while reads and overwrites of allocated clusters run
 * concurrently. Every request holds the read side of {@link #reuseGate}; freed clusters become reusable only under
 * its write side, so no request still using a freed cluster can see it handed to another guest cluster.
 */
public final class Qcow2Overlay implements BlockBackend {
    /** 64 KiB clusters, QEMU's default. */
    public static final int DEFAULT_CLUSTER_BITS = 16;
    private static final Logger log = LoggerFactory.getLogger(Qcow2Overlay.class);
    private static final int IO_THREADS = 4;
    /** Dirty L2 tables kept before an allocating write writes the metadata back on its own. */
    private static final int MAX_DIRTY_TABLES = 32;
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(30);

    private final Path path;
    private final Qcow2Header header;
    private final int blockSize;
    private final ChannelIo io;
    private final FileChannel file;
    /** Null when the image has no backing file: unallocated clusters then read as zeros. */
    private final FileChannel backing;
    private final Refcounts refcounts;
    private final ClusterMap map;
    private final ByteBuffer zeros;
    private final ReentrantLock metadata = new ReentrantLock();
    private final ReentrantReadWriteLock reuseGate = new ReentrantReadWriteLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    private Qcow2Overlay(Path path, Qcow2Header header, int blockSize, FileChannel file, FileChannel backing)
            throws IOException {
        this.path = path;
        this.header = header;
        this.blockSize = blockSize;
        this.file = file;
        this.backing = backing;
        this.refcounts = Refcounts.load(file, header);
        this.map = ClusterMap.load(file, refcounts, header);
        this.zeros = ByteBuffer.allocateDirect((int) header.clusterSize()).asReadOnlyBuffer();
        this.io = new ChannelIo(file, "qcow2-io-" + path.getFileName(), IO_THREADS, describe(), failure -> false);
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
     * {@link Qcow2Header#decode}) or a backing file that is not raw.
     */
    public static Qcow2Overlay open(Path overlay, int blockSize) throws IOException {
        FileChannel file = FileChannel.open(overlay, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel backing = null;
        try {
            Qcow2Header header = readHeader(file, overlay);
            if (header.virtualSize() % blockSize != 0) {
                throw new IOException(overlay + ": virtual size " + header.virtualSize()
                        + " is not a multiple of the " + blockSize + "-byte block size");
            }
            if (header.backingFile() != null) {
                if (!"raw".equals(header.backingFormat())) {
                    throw new IOException(overlay + ": backing format " + header.backingFormat()
                            + "; only raw backing images are supported (create with -F raw)");
                }
                Path backingPath = overlay.toAbsolutePath().getParent().resolve(header.backingFile());
                backing = FileChannel.open(backingPath, StandardOpenOption.READ);
            }
            Qcow2Overlay opened = new Qcow2Overlay(overlay, header, blockSize, file, backing);
            log.info("opened qcow2 overlay {} ({} bytes, {}-byte clusters, backing {})", overlay,
                    header.virtualSize(), header.clusterSize(), header.backingFile());
            return opened;
        } catch (IOException | RuntimeException e) {
            file.close();
            if (backing != null) {
                backing.close();
            }
            throw e;
        }
    }

    private static Qcow2Header readHeader(FileChannel file, Path overlay) throws IOException {
        ByteBuffer start = ByteBuffer.allocate(512);
        Qcow2Io.readFully(file, start, 0);
        int clusterBits = start.getInt(20);
        if (start.getInt(0) != Qcow2Header.MAGIC || clusterBits < 9 || clusterBits > 21) {
            throw new IOException(overlay + " is not a qcow2 image (bad magic or cluster bits)");
        }
        ByteBuffer firstCluster = ByteBuffer.allocate(1 << clusterBits);
        Qcow2Io.readFully(file, firstCluster, 0);
        Qcow2Header header = Qcow2Header.decode(firstCluster, overlay.toString());
        if (header.autoclearFeatures() != 0) {
            // Spec: a writer that does not understand an autoclear bit clears it (e.g. bitmaps extension present).
            Qcow2Header.clearAutoclear(firstCluster);
            Qcow2Io.writeFully(file, firstCluster.clear(), 0);
            file.force(false);
        }
        return header;
    }

    @Override
    public long sizeBytes() {
        return header.virtualSize();
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public BackendCapabilities capabilities() {
        // Discard sets the zero flag, so discarded blocks read as zeros (LBPRZ) rather than as the backing image.
        return new BackendCapabilities(true, true, true, false);
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        return submit("read", offset, destination.remaining(), Kind.READ_ERROR, false, () -> {
            long position = offset;
            while (destination.hasRemaining()) {
                int inCluster = inCluster(position);
                int length = (int) Math.min(destination.remaining(), header.clusterSize() - inCluster);
                readPiece(guestCluster(position), inCluster, destination.slice(destination.position(), length));
                destination.position(destination.position() + length);
                position += length;
            }
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        long length = GatheredCursor.length(sources);
        return submit("write", offset, length, Kind.WRITE_ERROR, fua, () -> {
            GatheredCursor cursor = new GatheredCursor(sources);
            for (long position = offset; position < offset + length; ) {
                int inCluster = inCluster(position);
                int pieceLength = (int) Math.min(offset + length - position, header.clusterSize() - inCluster);
                writePiece(guestCluster(position), inCluster, cursor.take(pieceLength));
                position += pieceLength;
            }
        });
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        return submit("discard", offset, length, Kind.WRITE_ERROR, false, () -> zeroRange(offset, length));
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return submit("write zeroes", offset, length, Kind.WRITE_ERROR, fua, () -> zeroRange(offset, length));
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
        if (offset < 0 || length < 0 || offset > sizeBytes() || length > sizeBytes() - offset) {
            return CompletableFuture.failedFuture(new BackendException(Kind.OUT_OF_RANGE, operation + " " + offset
                    + "+" + length + " lies outside " + describe() + " (" + sizeBytes() + " bytes)"));
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

    private void readPiece(long guestCluster, int inCluster, ByteBuffer piece) throws IOException {
        long entry = entry(guestCluster);
        long host = entry & ClusterMap.OFFSET_MASK;
        if ((entry & ClusterMap.ZERO) != 0) {
            MemorySegment.ofBuffer(piece).fill((byte) 0);
        } else if (host != 0) {
            Qcow2Io.readFully(file, piece, host + inCluster);
        } else {
            readBacking((guestCluster << header.clusterBits()) + inCluster, piece);
        }
    }

    /** The golden image's bytes; past its end (a clone larger than its image) zeros. */
    private void readBacking(long offset, ByteBuffer destination) throws IOException {
        if (backing == null) {
            MemorySegment.ofBuffer(destination).fill((byte) 0);
        } else {
            Qcow2Io.readFully(backing, destination, offset);
        }
    }

    private long entry(long guestCluster) throws IOException {
        metadata.lock();
        try {
            return supported(map.entry(guestCluster), guestCluster);
        } finally {
            metadata.unlock();
        }
    }

    private static long supported(long entry, long guestCluster) {
        if ((entry & ClusterMap.COMPRESSED) != 0) {
            throw new BackendException(Kind.READ_ERROR, "guest cluster " + guestCluster
                    + " is compressed; compressed clusters are not supported");
        }
        return entry;
    }

    /** Overwrites in place a cluster we own; anything else goes through {@link #allocateAndWrite}. */
    private void writePiece(long guestCluster, int inCluster, ByteBuffer[] data) throws IOException {
        long host;
        metadata.lock();
        try {
            long entry = supported(map.entry(guestCluster), guestCluster);
            host = entry & ClusterMap.OFFSET_MASK;
            boolean owned = host != 0 && (entry & ClusterMap.COPIED) != 0 && (entry & ClusterMap.ZERO) == 0;
            if (!owned) {
                allocateAndWrite(guestCluster, entry, inCluster, data);
                return;
            }
        } finally {
            metadata.unlock();
        }
        io.writeFully(host + inCluster, data);
    }

    /**
     * Copy-on-write, under the metadata lock: builds the whole cluster (what it read as before, overlaid with the
     * new bytes), writes it to a host cluster, then points the L2 entry at it. A preallocated zero cluster we own is
     * rewritten in place; otherwise a new cluster is allocated and any shared one we copied from is released.
     */
    private void allocateAndWrite(long guestCluster, long entry, int inCluster, ByteBuffer[] data)
            throws IOException {
        int clusterSize = (int) header.clusterSize();
        ByteBuffer cluster = ByteBuffer.allocate(clusterSize);
        if (GatheredCursor.length(data) < clusterSize) {
            readPiece(guestCluster, 0, cluster);
            cluster.clear();
        }
        cluster.position(inCluster);
        for (ByteBuffer piece : data) {
            cluster.put(piece.duplicate());
        }
        cluster.clear();
        long oldHost = entry & ClusterMap.OFFSET_MASK;
        boolean reuse = oldHost != 0 && (entry & ClusterMap.COPIED) != 0;
        long host = reuse ? oldHost : refcounts.allocate();
        try {
            Qcow2Io.writeFully(file, cluster, host);
        } catch (IOException | RuntimeException e) {
            if (!reuse) {
                // Nothing refers to the new cluster: give it back now rather than leak it.
                refcounts.applyReleases(Set.of(host >>> header.clusterBits()));
            }
            throw e;
        }
        map.setEntry(guestCluster, host | ClusterMap.COPIED);
        if (!reuse && oldHost != 0) {
            refcounts.release(oldHost);
        }
        if (map.dirtyTableCount() > MAX_DIRTY_TABLES) {
            writeBackMetadata();
        }
    }

    /**
     * Whole clusters get the zero flag and lose their host cluster; partial ones are written with zeros (unless they
     * already read as zeros), since a cluster is the smallest unit the zero flag covers.
     */
    private void zeroRange(long offset, long length) throws IOException {
        long end = offset + length;
        for (long position = offset; position < end; ) {
            int inCluster = inCluster(position);
            long guestCluster = guestCluster(position);
            int pieceLength = (int) Math.min(end - position, header.clusterSize() - inCluster);
            // The last cluster may extend past the virtual size: covering up to that end covers all of it.
            boolean whole = inCluster == 0 && (pieceLength == header.clusterSize() || position + pieceLength
                    == sizeBytes());
            if (whole) {
                zeroCluster(guestCluster);
            } else if ((entry(guestCluster) & ClusterMap.ZERO) == 0) {
                writePiece(guestCluster, inCluster, new ByteBuffer[] {zeros.slice(0, pieceLength)});
            }
            position += pieceLength;
        }
    }

    private void zeroCluster(long guestCluster) throws IOException {
        metadata.lock();
        try {
            long entry = supported(map.entry(guestCluster), guestCluster);
            if (entry == ClusterMap.ZERO) {
                return;
            }
            map.setEntry(guestCluster, ClusterMap.ZERO);
            long host = entry & ClusterMap.OFFSET_MASK;
            if (host != 0) {
                refcounts.release(host);
            }
            if (map.dirtyTableCount() > MAX_DIRTY_TABLES) {
                writeBackMetadata();
            }
        } finally {
            metadata.unlock();
        }
    }

    /**
     * Writes the in-memory metadata in dependency order (see the class comment). Data and refcount increments share
     * the first fdatasync; each later stage waits for the one before it. Called under the metadata lock.
     */
    private void writeBackMetadata() throws IOException {
        refcounts.writeBlocks();
        io.force();
        if (refcounts.writeTable()) {
            io.force();
        }
        if (map.writeL2Tables()) {
            io.force();
        }
        if (map.writeL1()) {
            io.force();
        }
    }

    /**
     * A flush: writes the metadata back, then drops the refcounts of clusters whose release is now durable — only
     * once no request is in flight (write side of the reuse gate) — and writes those refcounts too, so a flushed
     * image has neither corruption nor leaks.
     */
    private void flushAll() throws IOException {
        Set<Long> releasable;
        metadata.lock();
        try {
            writeBackMetadata();
            releasable = refcounts.releasedSoFar();
        } finally {
            metadata.unlock();
        }
        if (releasable.isEmpty()) {
            return;
        }
        reuseGate.writeLock().lock();
        try {
            metadata.lock();
            try {
                refcounts.applyReleases(releasable);
                refcounts.writeBlocks();
                io.force();
            } finally {
                metadata.unlock();
            }
        } finally {
            reuseGate.writeLock().unlock();
        }
    }

    private long guestCluster(long offset) {
        return offset >>> header.clusterBits();
    }

    private int inCluster(long offset) {
        return (int) (offset & (header.clusterSize() - 1));
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
        reuseGate.writeLock().lock();
        try {
            flushAll();
        } catch (IOException | RuntimeException e) {
            log.warn("writing the metadata of {} back on close failed", path, e);
        } finally {
            reuseGate.writeLock().unlock();
        }
        try {
            io.shutdown(CLOSE_GRACE);
            if (backing != null) {
                backing.close();
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
