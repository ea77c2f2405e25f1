package dev.jtarget.backend.qcow2;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The cluster allocator: the refcount table and its refcount blocks (qcow2.txt "Host cluster management"), 16-bit
 * refcounts only (refcount order 4). Not thread safe: the overlay calls it under its metadata lock.
 *
 * <p>Changes stay in memory until {@link #writeBlocks()} / {@link #writeTable()}, which the overlay calls in the order
 * that keeps the file consistent after a crash: refcount increments become durable before any L2 entry that relies on
 * them, and a freed cluster's refcount drops only after the L2 entry that pointed to it no longer does
 * ({@link #release} defers it until {@link #applyReleases}). At worst a crash leaks clusters.
 *
 * <p>A new metadata cluster (refcount block, L2 table) is written with zeros the moment it is allocated, so the
 * filesystem gives it its blocks then: when space runs out, the request allocating it fails and nothing changes,
 * rather than a later metadata write-back failing half way (refcounts durable, the L2 entries that need them not:
 * leaked clusters). Write-back then only overwrites blocks the file already has.
 *
 * <p>Loaded refcount blocks stay in memory: two bytes per host cluster, 1/32768 of the file at 64 KiB clusters.
 */
final class Refcounts {
    /** Refcount table entries: bits 9-63 are the block offset, bits 0-8 reserved (spec: "Refcount table entry"). */
    private static final long TABLE_OFFSET_MASK = ~0x1ffL;

    private final FileChannel file;
    private final SpaceAccount space;
    private final int clusterBits;
    private final int entriesPerBlock;
    private final long tableOffset;
    private final long[] table;
    private boolean tableDirty;
    private final Map<Integer, char[]> blocks = new HashMap<>();
    private final Set<Integer> dirtyBlocks = new TreeSet<>();
    /** Host clusters no L2 entry in memory refers to any more; their refcount drops once that is on disk. */
    private final Set<Long> released = new HashSet<>();
    /** Every cluster below this one is in use or awaiting release: where the search for a free one starts. */
    private long firstCandidate;

    private Refcounts(FileChannel file, SpaceAccount space, int clusterBits, long tableOffset, long[] table) {
        this.file = file;
        this.space = space;
        this.clusterBits = clusterBits;
        this.entriesPerBlock = (1 << clusterBits) / 2;
        this.tableOffset = tableOffset;
        this.table = table;
    }

    static Refcounts load(FileChannel file, Qcow2Header header, SpaceAccount space) throws IOException {
        long bytes = (long) header.refcountTableClusters() << header.clusterBits();
        if (bytes > Integer.MAX_VALUE) {
            throw new IOException("refcount table of " + bytes + " bytes is too large");
        }
        long[] table = Qcow2Io.readLongs(file, (int) (bytes / 8), header.refcountTableOffset());
        return new Refcounts(file, space, header.clusterBits(), header.refcountTableOffset(), table);
    }

    /**
     * Finds a free host cluster, sets its refcount to 1 and returns its byte offset. Creates refcount blocks on the
     * way: a new block lives in the first free cluster of the range it covers and so counts itself.
     *
     * @throws BackendException NO_SPACE when the refcount table cannot describe another cluster (growing the table
     *                          is not implemented; images we create get a table large enough for their whole size)
     * @throws IOException      when the file has no room for a new refcount block (nothing has changed then)
     */
    long allocate() throws IOException {
        for (long cluster = firstCandidate; ; cluster++) {
            long index = blockIndex(cluster);
            if (index >= table.length) {
                throw new BackendException(Kind.NO_SPACE, "the qcow2 refcount table is full (" + table.length
                        + " blocks); growing it is not supported");
            }
            char[] block = block((int) index);
            int slot = (int) (cluster % entriesPerBlock);
            if (block == null) {
                reserve(cluster << clusterBits);
                block = new char[entriesPerBlock];
                block[slot] = 1;
                blocks.put((int) index, block);
                dirtyBlocks.add((int) index);
                table[(int) index] = cluster << clusterBits;
                tableDirty = true;
                continue;
            }
            if (block[slot] == 0) {
                block[slot] = 1;
                dirtyBlocks.add((int) index);
                firstCandidate = cluster + 1;
                return cluster << clusterBits;
            }
        }
    }

    /**
     * {@link #allocate} for a metadata cluster: the cluster is written with zeros at once, so the filesystem has
     * given it its blocks before anything refers to it; when it has none left the allocation is undone and the
     * IOException (ENOSPC) thrown.
     */
    long allocateReserved() throws IOException {
        long offset = allocate();
        try {
            reserve(offset);
        } catch (IOException | RuntimeException e) {
            unallocate(offset);
            throw e;
        }
        return offset;
    }

    /** Writes a cluster of zeros at {@code offset} and reports the space it took. */
    private void reserve(long offset) throws IOException {
        Qcow2Io.writeFully(file, ByteBuffer.allocate(1 << clusterBits), offset);
        space.allocated(1L << clusterBits, 0);
    }

    /** The cluster at {@code offset} lost its only reference in memory; its refcount drops in applyReleases. */
    void release(long offset) {
        released.add(offset >>> clusterBits);
    }

    /** The clusters released so far, to be applied once the L2 tables that dropped them are durable. */
    Set<Long> releasedSoFar() {
        return Set.copyOf(released);
    }

    /**
     * Decrements the refcount of each cluster still awaiting release (a cluster applied once is skipped, so a stale
     * set can never free a cluster that was reallocated since); the caller guarantees no request still uses them.
     * Returns the clusters now free (refcount 0), in order.
     */
    SortedSet<Long> applyReleases(Set<Long> clusters) throws IOException {
        SortedSet<Long> freed = new TreeSet<>();
        for (long cluster : clusters) {
            if (released.remove(cluster) && decrement(cluster) == 0) {
                freed.add(cluster);
            }
        }
        return freed;
    }

    /** Gives back at once a cluster {@link #allocate} returned but nothing ever referred to (its write failed). */
    void unallocate(long offset) throws IOException {
        decrement(offset >>> clusterBits);
    }

    /** Returns the new refcount. */
    private int decrement(long cluster) throws IOException {
        int index = blockIndex(cluster);
        char[] block = block(index);
        int slot = (int) (cluster % entriesPerBlock);
        if (block == null || block[slot] == 0) {
            throw new IllegalStateException("freeing host cluster " + cluster + " whose refcount is 0");
        }
        block[slot]--;
        dirtyBlocks.add(index);
        firstCandidate = Math.min(firstCandidate, cluster);
        return block[slot];
    }

    /** Writes the changed refcount blocks; returns whether anything was written. */
    boolean writeBlocks() throws IOException {
        if (dirtyBlocks.isEmpty()) {
            return false;
        }
        for (int index : dirtyBlocks) {
            ByteBuffer raw = ByteBuffer.allocate(entriesPerBlock * 2);
            raw.asCharBuffer().put(blocks.get(index));
            Qcow2Io.writeFully(file, raw, table[index] & TABLE_OFFSET_MASK);
        }
        dirtyBlocks.clear();
        return true;
    }

    /** Writes the refcount table when a block was added; returns whether anything was written. */
    boolean writeTable() throws IOException {
        if (!tableDirty) {
            return false;
        }
        Qcow2Io.writeLongs(file, table, tableOffset);
        tableDirty = false;
        return true;
    }

    private int blockIndex(long cluster) {
        long index = cluster / entriesPerBlock;
        return index >= table.length ? table.length : (int) index;
    }

    private char[] block(int index) throws IOException {
        if (index >= table.length) {
            return null;
        }
        char[] cached = blocks.get(index);
        long offset = table[index] & TABLE_OFFSET_MASK;
        if (cached != null || offset == 0) {
            return cached;
        }
        ByteBuffer raw = ByteBuffer.allocate(entriesPerBlock * 2);
        Qcow2Io.readFully(file, raw, offset);
        char[] block = new char[entriesPerBlock];
        raw.flip().asCharBuffer().get(block);
        blocks.put(index, block);
        return block;
    }
}
