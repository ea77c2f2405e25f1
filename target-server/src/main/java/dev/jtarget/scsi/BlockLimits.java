package dev.jtarget.scsi;

/**
 * The limits a logical unit enforces and advertises in the Block Limits VPD page (SBC-3 §6.5.3).
 *
 * @param maxTransferBlocks         one READ/WRITE/VERIFY moves at most this many blocks: each command's data sits in
 *                                  one buffer, so this bounds memory per command
 * @param maxCompareAndWriteBlocks  COMPARE AND WRITE NUMBER OF LOGICAL BLOCKS limit
 * @param maxUnmapBlocks            per UNMAP descriptor and per WRITE SAME; 0 when the backend cannot discard
 * @param maxUnmapDescriptors       per UNMAP parameter list; 0 when the backend cannot discard
 * @param maxWriteSameBlocks        per WRITE SAME
 */
record BlockLimits(long maxTransferBlocks, int maxCompareAndWriteBlocks, long maxUnmapBlocks,
                   int maxUnmapDescriptors, long maxWriteSameBlocks) {

    static final int MAX_TRANSFER_BYTES = 8 << 20;
    private static final long MAX_WRITE_SAME_BYTES = 1L << 30;
    private static final int MAX_UNMAP_DESCRIPTORS = 256;
    private static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;

    static BlockLimits of(int blockSize, boolean canDiscard) {
        long writeSameBlocks = MAX_WRITE_SAME_BYTES / blockSize;
        return new BlockLimits(MAX_TRANSFER_BYTES / blockSize, MAX_COMPARE_AND_WRITE_BLOCKS,
                canDiscard ? writeSameBlocks : 0, canDiscard ? MAX_UNMAP_DESCRIPTORS : 0, writeSameBlocks);
    }
}
