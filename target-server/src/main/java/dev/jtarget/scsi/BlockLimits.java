package dev.jtarget.scsi;

/**
 * The limits a logical unit enforces and advertises in the Block Limits VPD page (SBC-3 §6.5.3).
 *
 * @param maxTransferBlocks         one READ/WRITE/VERIFY moves at most this many blocks: each command's data sits in
 *                                  one buffer, so this bounds memory per command
 * @param maxCompareAndWriteBlocks  COMPARE AND WRITE NUMBER OF LOGICAL BLOCKS limit
 * @param maxUnmapBlocks            per UNMAP command; {@link #UNLIMITED} when the backend can discard, 0 otherwise
 * @param maxUnmapDescriptors       per UNMAP parameter list; 0 when the backend cannot discard
 * @param maxWriteSameBlocks        per WRITE SAME
 */
record BlockLimits(long maxTransferBlocks, int maxCompareAndWriteBlocks, long maxUnmapBlocks,
                   int maxUnmapDescriptors, long maxWriteSameBlocks) {

    static final int MAX_TRANSFER_BYTES = 8 << 20;
    /** FFFFFFFFh in MAXIMUM UNMAP LBA COUNT means "no limit" (SBC-3 §6.5.3). */
    static final long UNLIMITED = 0xFFFF_FFFFL;
    /**
     * The largest count WRITE SAME(10) can carry, used for WRITE SAME(16) too. Zeroing and unmapping cost little per
     * block, but writing a pattern does not, and one command should not hold its LBA range lock for long.
     */
    private static final long MAX_WRITE_SAME_BLOCKS = 0xFFFF;
    private static final int MAX_UNMAP_DESCRIPTORS = 256;
    private static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;

    /** Discarding is a hole punch whose cost does not grow with the length, so UNMAP needs no block limit. */
    static BlockLimits of(int blockSize, boolean canDiscard) {
        return new BlockLimits(MAX_TRANSFER_BYTES / blockSize, MAX_COMPARE_AND_WRITE_BLOCKS,
                canDiscard ? UNLIMITED : 0, canDiscard ? MAX_UNMAP_DESCRIPTORS : 0, MAX_WRITE_SAME_BLOCKS);
    }
}
