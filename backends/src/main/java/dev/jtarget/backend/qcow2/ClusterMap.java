package dev.jtarget.backend.qcow2;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The two-level guest-to-host cluster map (qcow2.txt "Cluster mapping"): the L1 table, always in memory, and a cache
 * of L2 tables. Not thread safe: the overlay calls it under its metadata lock.
 *
 * <p>Changed tables are written only by {@link #writeL2Tables()} then {@link #writeL1()}, which the overlay calls after
 * the data and the refcounts they depend on are durable; a new L2 table is thus on disk before the L1 entry pointing
 * to it. Clean L2 tables beyond {@link #CACHED_TABLES} are evicted; dirty ones stay until written.
 *
 * <p>So that write-back never needs new space (see {@link Refcounts}), a new L2 table is written with zeros when it
 * is allocated, and the first time this map adds a table the L1 table is rewritten as it is on disk: images we create
 * leave it a hole, which the filesystem would otherwise have to fill at write-back.
 */
final class ClusterMap {
    /** L1 and L2 entries: bits 9-55 hold the host offset. */
    static final long OFFSET_MASK = 0x00fffffffffffe00L;
    /** Bit 63: refcount is exactly one, so the cluster may be written in place. */
    static final long COPIED = 1L << 63;
    /** Bit 62 of an L2 entry: a compressed cluster (not supported). */
    static final long COMPRESSED = 1L << 62;
    /** Bit 0 of a standard L2 entry (version 3): the cluster reads as all zeros. */
    static final long ZERO = 1L;
    /** 64 tables of 64 KiB map 32 GiB of guest disk. */
    private static final int CACHED_TABLES = 64;

    private final FileChannel file;
    private final Refcounts refcounts;
    private final int clusterBits;
    private final int entriesPerTable;
    private final long l1Offset;
    private final long[] l1;
    private boolean l1Dirty;
    /** The L1 table as read at open, which is what it is on disk until the first table is added and it is claimed. */
    private final long[] durableL1;
    private boolean l1Reserved;
    private final LinkedHashMap<Long, long[]> tables = new LinkedHashMap<>(16, 0.75f, true);
    private final Set<Long> dirtyTables = new HashSet<>();

    private ClusterMap(FileChannel file, Refcounts refcounts, int clusterBits, long l1Offset, long[] l1) {
        this.file = file;
        this.refcounts = refcounts;
        this.clusterBits = clusterBits;
        this.entriesPerTable = (1 << clusterBits) / 8;
        this.l1Offset = l1Offset;
        this.l1 = l1;
        this.durableL1 = l1.clone();
    }

    static ClusterMap load(FileChannel file, Refcounts refcounts, Qcow2Header header) throws IOException {
        long needed = (header.virtualSize() + header.clusterSize() - 1) >>> header.clusterBits();
        long perTable = header.clusterSize() / 8;
        if (header.l1Size() < (needed + perTable - 1) / perTable) {
            throw new IOException("L1 table of " + header.l1Size() + " entries cannot map " + header.virtualSize()
                    + " bytes");
        }
        long[] l1 = Qcow2Io.readLongs(file, header.l1Size(), header.l1TableOffset());
        return new ClusterMap(file, refcounts, header.clusterBits(), header.l1TableOffset(), l1);
    }

    /** The L2 entry of a guest cluster; 0 (unallocated: read from the backing file) when it has no L2 table. */
    long entry(long guestCluster) throws IOException {
        long l2Offset = l1[l1Index(guestCluster)] & OFFSET_MASK;
        return l2Offset == 0 ? 0 : table(l2Offset)[(int) (guestCluster % entriesPerTable)];
    }

    /** Sets the L2 entry of a guest cluster, allocating its L2 table when there is none yet. */
    void setEntry(long guestCluster, long entry) throws IOException {
        long l2Offset = ensureTable(guestCluster);
        table(l2Offset)[(int) (guestCluster % entriesPerTable)] = entry;
        dirtyTables.add(l2Offset);
    }

    /**
     * The offset of the L2 table mapping {@code guestCluster}, allocated (and its space claimed) when there is none
     * yet. Callers about to write a new data cluster call it first, so that running out of space fails the request
     * before its data cluster exists rather than after, when the cluster could only leak.
     */
    long ensureTable(long guestCluster) throws IOException {
        int l1Index = l1Index(guestCluster);
        long l2Offset = l1[l1Index] & OFFSET_MASK;
        if (l2Offset != 0) {
            return l2Offset;
        }
        if (!l1Reserved) {
            Qcow2Io.writeLongs(file, durableL1, l1Offset);
            l1Reserved = true;
        }
        l2Offset = refcounts.allocateReserved();
        tables.put(l2Offset, new long[entriesPerTable]);
        dirtyTables.add(l2Offset);
        // We never share L2 tables (no snapshots), so the refcount is 1 and COPIED must be set.
        l1[l1Index] = l2Offset | COPIED;
        l1Dirty = true;
        return l2Offset;
    }

    int dirtyTableCount() {
        return dirtyTables.size();
    }

    /** Writes the changed L2 tables; returns whether anything was written. */
    boolean writeL2Tables() throws IOException {
        if (dirtyTables.isEmpty()) {
            return false;
        }
        for (long offset : dirtyTables) {
            Qcow2Io.writeLongs(file, tables.get(offset), offset);
        }
        dirtyTables.clear();
        evictClean(-1);
        return true;
    }

    /** Writes the L1 table when an L2 table was added; returns whether anything was written. */
    boolean writeL1() throws IOException {
        if (!l1Dirty) {
            return false;
        }
        Qcow2Io.writeLongs(file, l1, l1Offset);
        l1Dirty = false;
        return true;
    }

    private int l1Index(long guestCluster) {
        return (int) (guestCluster / entriesPerTable);
    }

    private long[] table(long offset) throws IOException {
        long[] cached = tables.get(offset);
        if (cached != null) {
            return cached;
        }
        if ((offset & ((1L << clusterBits) - 1)) != 0) {
            throw new IOException("L2 table offset " + offset + " is not cluster aligned: the image is corrupt");
        }
        long[] table = Qcow2Io.readLongs(file, entriesPerTable, offset);
        tables.put(offset, table);
        evictClean(offset);
        return table;
    }

    /** Drops the least recently used clean tables beyond the cache size, never {@code keep} (just loaded). */
    private void evictClean(long keep) {
        Iterator<Map.Entry<Long, long[]>> eldestFirst = tables.entrySet().iterator();
        while (tables.size() > CACHED_TABLES && eldestFirst.hasNext()) {
            long offset = eldestFirst.next().getKey();
            if (offset != keep && !dirtyTables.contains(offset)) {
                eldestFirst.remove();
            }
        }
    }
}
