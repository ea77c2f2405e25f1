package dev.jtarget.backend.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a new, empty qcow2 v3 overlay: only the metadata, so creation takes milliseconds whatever the virtual size.
 *
 * <p>Layout: cluster 0 holds the header, the backing format extension and the backing file name; then the refcount
 * table, the L1 table (left as a hole: all entries 0, every guest cluster unallocated) and the refcount blocks that
 * count these first clusters. The refcount table is sized for the largest file the image can ever need (all data and
 * L2 clusters allocated, twice over for leaks), because growing it in place is not implemented.
 */
final class Qcow2Creator {
    private Qcow2Creator() {
    }

    static void create(Path overlay, Path backing, long virtualSize, int clusterBits) throws IOException {
        if (clusterBits < 9 || clusterBits > 21) {
            throw new IllegalArgumentException("cluster bits " + clusterBits + " outside 9..21");
        }
        if (virtualSize <= 0 || virtualSize % 512 != 0) {
            throw new IllegalArgumentException("virtual size " + virtualSize + " is not a positive multiple of 512");
        }
        if (!Files.isRegularFile(backing)) {
            throw new IOException("backing image " + backing + " is not a regular file");
        }
        long clusterSize = 1L << clusterBits;
        long refcountsPerBlock = clusterSize / 2;
        long l2Entries = clusterSize / 8;
        long dataClusters = divideRoundingUp(virtualSize, clusterSize);
        long l1Size = divideRoundingUp(dataClusters, l2Entries);
        if (l1Size * 8 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("virtual size " + virtualSize + " needs too large an L1 table");
        }
        long l1Clusters = divideRoundingUp(l1Size * 8, clusterSize);

        long worstCase = 2 * (1 + l1Clusters + l1Size + dataClusters);
        long tableClusters = 0;
        long blocks = 0;
        while (true) { // the refcount table and blocks need refcounts too: iterate to the fixed point
            long neededBlocks = divideRoundingUp(worstCase + tableClusters + blocks, refcountsPerBlock);
            long neededTable = divideRoundingUp(neededBlocks * 8, clusterSize);
            if (neededBlocks == blocks && neededTable == tableClusters) {
                break;
            }
            blocks = neededBlocks;
            tableClusters = neededTable;
        }
        if (tableClusters > Integer.MAX_VALUE >> clusterBits) {
            throw new IllegalArgumentException("virtual size " + virtualSize + " needs too large a refcount table");
        }

        long metadataClusters = 1 + tableClusters + l1Clusters;
        long initialBlocks = divideRoundingUp(metadataClusters, refcountsPerBlock);
        while (divideRoundingUp(metadataClusters + initialBlocks, refcountsPerBlock) > initialBlocks) {
            initialBlocks++;
        }
        long usedClusters = metadataClusters + initialBlocks;

        Qcow2Header header = new Qcow2Header(clusterBits, virtualSize, (int) l1Size, (1 + tableClusters) * clusterSize,
                clusterSize, (int) tableClusters, 0, backing.toAbsolutePath().normalize().toString(), "raw");
        ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * clusterSize));
        for (long block = 0; block < initialBlocks; block++) {
            table.putLong((metadataClusters + block) * clusterSize);
        }
        ByteBuffer refcountBlocks = ByteBuffer.allocate((int) (initialBlocks * clusterSize));
        for (long cluster = 0; cluster < usedClusters; cluster++) {
            refcountBlocks.putChar((char) 1);
        }
        try (FileChannel file = FileChannel.open(overlay, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Qcow2Io.writeFully(file, header.encode(), 0);
            Qcow2Io.writeFully(file, table.clear(), clusterSize);
            // The L1 table between them stays a hole of zeros: no guest cluster is allocated yet.
            Qcow2Io.writeFully(file, refcountBlocks.clear(), metadataClusters * clusterSize);
            file.force(true);
        }
    }

    static long divideRoundingUp(long dividend, long divisor) {
        return (dividend + divisor - 1) / divisor;
    }
}
