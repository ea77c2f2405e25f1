package dev.jtarget.backend.qcow2;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.file.HolePuncher;
import dev.jtarget.backend.image.ImageReadCache;
import dev.jtarget.backend.io.ChannelIo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The overlay's data path: guest byte ranges cut into cluster pieces and mapped through the L1/L2 tables to the
 * overlay file, the golden image or zeros, with copy-on-write on first write.
 *
 * <p>Ordering for crash consistency (no lazy refcounts, the dirty bit is never set): guest data and COW copies go to
 * the file at once; metadata changes stay in memory and {@link #writeBackMetadata} writes them in dependency order
 * with an fdatasync between stages: refcount blocks (sharing the data's fdatasync), refcount table, L2 tables, L1
 * table (qcow2.txt: a cluster's refcount must cover every reference to it). A freed cluster's refcount drops only
 * in {@link #applyReleases}, after its L2 entry's removal is durable. A crash thus leaves at worst leaked clusters.
 *
 * <p>The metadata lock serialises table lookups and updates only; data I/O runs outside it, so requests on
 * different clusters overlap, copy-on-write included. A guest cluster being copied on write is marked busy until its
 * L2 entry is set, and other writes and discards of that cluster wait for it.
 *
 * <p>Space: a write accepted by a cache above is promised the clusters it will allocate before it is acknowledged
 * ({@link ClusterPromises}); the data path tells the promises what it finds and allocates.
 */
final class ClusterIo {
    /** Dirty L2 tables kept before an allocating write writes the metadata back on its own. */
    private static final int MAX_DIRTY_TABLES = 32;

    private final Qcow2Header header;
    private final ChannelIo io;
    private final FileChannel file;
    /**
     * The golden image, through the read cache its clones share; null when the image has no backing file:
     * unallocated clusters then read as zeros.
     */
    private final ImageReadCache backing;
    /** The golden image's size, read once: it is read-only while clones use it. */
    private final long backingSize;
    private final Refcounts refcounts;
    private final ClusterMap map;
    private final ByteBuffer zeros;
    private final ReentrantLock metadata = new ReentrantLock();
    /** Guest clusters being copied on write, completed when their L2 entry is set (guarded by the metadata lock). */
    private final Map<Long, CompletableFuture<Void>> allocating = new HashMap<>();
    /** Returns freed clusters' space to the filesystem; null where holes cannot be punched. */
    private final HolePuncher puncher;
    private final ClusterPromises promises;

    /** @param file the overlay's channel, which {@code io} writes data through; metadata is read and written on it */
    ClusterIo(Qcow2Header header, ChannelIo io, FileChannel file, ImageReadCache backing, SpaceAccount space,
              HolePuncher puncher) throws IOException {
        this.header = header;
        this.puncher = puncher;
        long guestClusters = (header.virtualSize() + header.clusterSize() - 1) >>> header.clusterBits();
        this.promises = new ClusterPromises(space, guestClusters, header.clusterBits());
        this.io = io;
        this.file = file;
        this.backing = backing;
        this.backingSize = backing == null ? 0 : backing.imageSize();
        this.refcounts = Refcounts.load(file, header, space);
        this.map = ClusterMap.load(file, refcounts, header);
        this.zeros = ByteBuffer.allocateDirect((int) header.clusterSize()).asReadOnlyBuffer();
    }

    void read(long offset, ByteBuffer destination) throws IOException {
        long position = offset;
        while (destination.hasRemaining()) {
            int inCluster = inCluster(position);
            int length = (int) Math.min(destination.remaining(), header.clusterSize() - inCluster);
            readPiece(guestCluster(position), inCluster, destination.slice(destination.position(), length));
            destination.position(destination.position() + length);
            position += length;
        }
    }

    void write(long offset, ByteBuffer[] sources, long length) throws IOException {
        GatheredCursor cursor = new GatheredCursor(sources);
        for (long position = offset; position < offset + length; ) {
            int inCluster = inCluster(position);
            int pieceLength = (int) Math.min(offset + length - position, header.clusterSize() - inCluster);
            writePiece(guestCluster(position), inCluster, cursor.take(pieceLength));
            position += pieceLength;
        }
    }

    private void readPiece(long guestCluster, int inCluster, ByteBuffer piece) throws IOException {
        readAs(entry(guestCluster), guestCluster, inCluster, piece);
    }

    /** Reads a guest cluster as the L2 entry {@code entry} describes it: zeros, its host cluster or the backing. */
    private void readAs(long entry, long guestCluster, int inCluster, ByteBuffer piece) throws IOException {
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
            backing.read(offset, destination);
        }
    }

    private long entry(long guestCluster) throws IOException {
        metadata.lock();
        try {
            long entry = supported(map.entry(guestCluster), guestCluster);
            if (isOwned(entry)) {
                promises.owned(guestCluster);
            }
            return entry;
        } finally {
            metadata.unlock();
        }
    }

    /** A host cluster of our own that a write may overwrite in place. */
    private static boolean isOwned(long entry) {
        return (entry & ClusterMap.OFFSET_MASK) != 0 && (entry & ClusterMap.COPIED) != 0
                && (entry & ClusterMap.ZERO) == 0;
    }

    /** See {@link ClusterPromises#promise}. */
    boolean promise(long offset, long length) {
        return promises.promise(offset, length);
    }

    /** Gives back every promise still open (the overlay closes). */
    void cancelPromises() {
        promises.cancelAll();
    }

    private static long supported(long entry, long guestCluster) {
        if ((entry & ClusterMap.COMPRESSED) != 0) {
            throw new BackendException(Kind.READ_ERROR, "guest cluster " + guestCluster
                    + " is compressed; compressed clusters are not supported");
        }
        return entry;
    }

    /**
     * Overwrites in place a cluster we own; anything else is copied on write ({@link Allocation}). A request meeting
     * a guest cluster another request is allocating waits for it, then looks again.
     */
    private void writePiece(long guestCluster, int inCluster, ByteBuffer[] data) throws IOException {
        while (true) {
            CompletableFuture<Void> busy;
            long host = 0;
            Allocation allocation = null;
            metadata.lock();
            try {
                busy = allocating.get(guestCluster);
                if (busy == null) {
                    long entry = supported(map.entry(guestCluster), guestCluster);
                    host = entry & ClusterMap.OFFSET_MASK;
                    if (isOwned(entry)) {
                        promises.owned(guestCluster);
                    } else {
                        allocation = beginAllocation(guestCluster, entry);
                    }
                }
            } finally {
                metadata.unlock();
            }
            if (busy != null) {
                busy.join();
            } else if (allocation == null) {
                io.writeFully(host + inCluster, data);
                return;
            } else {
                copyOnWrite(allocation, inCluster, data);
                return;
            }
        }
    }

    /**
     * A guest cluster being copied on write: {@code host} receives the whole new cluster, then the L2 entry points at
     * it. A preallocated zero cluster we own ({@code reuse}) is rewritten in place; otherwise {@code host} is newly
     * allocated and a shared cluster we copied from is released afterwards.
     */
    private record Allocation(long guestCluster, long entry, long host, boolean reuse) {
    }

    /**
     * Under the metadata lock: chooses the host cluster and marks the guest cluster busy. The L2 table comes first,
     * so that a lack of space for it fails the request while nothing has been allocated yet.
     */
    private Allocation beginAllocation(long guestCluster, long entry) throws IOException {
        long oldHost = entry & ClusterMap.OFFSET_MASK;
        boolean reuse = oldHost != 0 && (entry & ClusterMap.COPIED) != 0;
        map.ensureTable(guestCluster);
        long host = reuse ? oldHost : refcounts.allocate();
        allocating.put(guestCluster, new CompletableFuture<>());
        return new Allocation(guestCluster, entry, host, reuse);
    }

    /**
     * Outside the metadata lock, so allocating writes to different clusters overlap: builds the whole cluster (what
     * it read as before, overlaid with the new bytes) and writes it; then, under the lock, points the L2 entry at it.
     * Nothing refers to {@code host} until then, and no one else touches the busy guest cluster.
     */
    private void copyOnWrite(Allocation allocation, int inCluster, ByteBuffer[] data) throws IOException {
        boolean written = false;
        try {
            int clusterSize = (int) header.clusterSize();
            ByteBuffer cluster = ByteBuffer.allocate(clusterSize);
            if (GatheredCursor.length(data) < clusterSize) {
                readAs(allocation.entry(), allocation.guestCluster(), 0, cluster);
                cluster.clear();
            }
            cluster.position(inCluster);
            for (ByteBuffer piece : data) {
                cluster.put(piece.duplicate());
            }
            Qcow2Io.writeFully(file, cluster.clear(), allocation.host());
            written = true;
        } finally {
            finishAllocation(allocation, written);
        }
    }

    private void finishAllocation(Allocation allocation, boolean written) throws IOException {
        metadata.lock();
        try {
            long oldHost = allocation.entry() & ClusterMap.OFFSET_MASK;
            if (written) {
                setAllocatedEntry(allocation);
                if (!allocation.reuse() && oldHost != 0) {
                    refcounts.release(oldHost);
                }
                promises.allocated(allocation.guestCluster(), !allocation.reuse());
            } else if (!allocation.reuse()) {
                refcounts.unallocate(allocation.host()); // nothing refers to it: give it back rather than leak it
            }
            if (map.dirtyTableCount() > MAX_DIRTY_TABLES) {
                writeBackLocked();
            }
        } finally {
            allocating.remove(allocation.guestCluster()).complete(null);
            metadata.unlock();
        }
    }

    /** Points the L2 entry at the written cluster; should that fail, a new cluster is given back, not leaked. */
    private void setAllocatedEntry(Allocation allocation) throws IOException {
        try {
            map.setEntry(allocation.guestCluster(), allocation.host() | ClusterMap.COPIED);
        } catch (IOException | RuntimeException e) {
            if (!allocation.reuse()) {
                refcounts.unallocate(allocation.host());
            }
            throw e;
        }
    }

    /**
     * Whole clusters get the zero flag and lose their host cluster; partial ones are written with zeros (unless they
     * already read as zeros), since a cluster is the smallest unit the zero flag covers.
     */
    void zeroRange(long offset, long length) throws IOException {
        long end = offset + length;
        for (long position = offset; position < end; ) {
            int inCluster = inCluster(position);
            long guestCluster = guestCluster(position);
            int pieceLength = (int) Math.min(end - position, header.clusterSize() - inCluster);
            // The last cluster may extend past the virtual size: covering up to that end covers all of it.
            boolean whole = inCluster == 0 && (pieceLength == header.clusterSize() || position + pieceLength
                    == header.virtualSize());
            if (whole) {
                zeroCluster(guestCluster);
            } else if (!readsAsZeros(entry(guestCluster), guestCluster)) {
                writePiece(guestCluster, inCluster, new ByteBuffer[] {zeros.slice(0, pieceLength)});
            }
            position += pieceLength;
        }
    }

    /** Zero flag set, or unallocated past the end of the golden image. */
    private boolean readsAsZeros(long entry, long guestCluster) {
        if ((entry & ClusterMap.ZERO) != 0) {
            return true;
        }
        return entry == 0 && guestCluster << header.clusterBits() >= backingSize;
    }

    private void zeroCluster(long guestCluster) throws IOException {
        CompletableFuture<Void> busy;
        while ((busy = zeroClusterUnlessBusy(guestCluster)) != null) {
            busy.join();
        }
    }

    /** Returns the allocation to wait for when the guest cluster is being copied on write, else zeroes it. */
    private CompletableFuture<Void> zeroClusterUnlessBusy(long guestCluster) throws IOException {
        metadata.lock();
        try {
            CompletableFuture<Void> busy = allocating.get(guestCluster);
            if (busy != null) {
                return busy;
            }
            long entry = supported(map.entry(guestCluster), guestCluster);
            promises.zeroed(guestCluster); // a cache above dropped the data of the whole cluster before calling us
            if (entry == ClusterMap.ZERO || (entry == 0 && readsAsZeros(entry, guestCluster))) {
                return null; // nothing to change: no metadata for the zeros past the end of the golden image
            }
            map.setEntry(guestCluster, ClusterMap.ZERO);
            long host = entry & ClusterMap.OFFSET_MASK;
            if (host != 0) {
                refcounts.release(host);
            }
            if (map.dirtyTableCount() > MAX_DIRTY_TABLES) {
                writeBackLocked();
            }
            return null;
        } finally {
            metadata.unlock();
        }
    }

    /**
     * Writes the in-memory metadata in dependency order (see the class comment) and returns the clusters whose
     * release is now durable. Data and refcount increments share the first fdatasync; each later stage waits for the
     * one before it.
     */
    Set<Long> writeBackMetadata() throws IOException {
        metadata.lock();
        try {
            writeBackLocked();
            return refcounts.releasedSoFar();
        } finally {
            metadata.unlock();
        }
    }

    private void writeBackLocked() throws IOException {
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
     * Drops the refcounts of clusters {@link #writeBackMetadata} reported and writes them, so a flushed image has no
     * leaks either. The caller guarantees that no request still reads or writes those clusters.
     */
    void applyReleases(Set<Long> releasable) throws IOException {
        metadata.lock();
        try {
            SortedSet<Long> freed = refcounts.applyReleases(releasable);
            refcounts.writeBlocks();
            io.force();
            punch(freed);
        } finally {
            metadata.unlock();
        }
    }

    /**
     * Gives the filesystem the space of clusters now free, in runs of adjacent clusters, so UNMAP in a clone frees
     * space on the disk below (a later allocation of such a cluster writes all of it again). Done while no request
     * runs and before anyone can allocate them again (the caller's reuse gate and the metadata lock).
     */
    private void punch(SortedSet<Long> freed) throws IOException {
        if (puncher == null) {
            return;
        }
        long runStart = -1;
        long runEnd = -1;
        for (long cluster : freed) {
            if (cluster != runEnd) {
                if (runStart >= 0 && !punchRun(runStart, runEnd)) {
                    return;
                }
                runStart = cluster;
            }
            runEnd = cluster + 1;
        }
        if (runStart >= 0) {
            punchRun(runStart, runEnd);
        }
    }

    private boolean punchRun(long startCluster, long endCluster) throws IOException {
        return puncher.punchHole(startCluster << header.clusterBits(),
                (endCluster - startCluster) << header.clusterBits());
    }

    private long guestCluster(long offset) {
        return offset >>> header.clusterBits();
    }

    private int inCluster(long offset) {
        return (int) (offset & (header.clusterSize() - 1));
    }
}
