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
 * @param maxAtomicTransferBlocks   per WRITE ATOMIC(16) (SBC-4 §6.6.4 MAXIMUM ATOMIC TRANSFER LENGTH)
 * @param atomicAlignment           a WRITE ATOMIC's LBA is a multiple of this (ATOMIC ALIGNMENT)
 * @param atomicGranularity         a WRITE ATOMIC's length is a multiple of this (ATOMIC TRANSFER LENGTH
 *                                  GRANULARITY)
 */
record BlockLimits(long maxTransferBlocks, int maxCompareAndWriteBlocks, long maxUnmapBlocks,
                   int maxUnmapDescriptors, long maxWriteSameBlocks, long maxAtomicTransferBlocks,
                   int atomicAlignment, int atomicGranularity) {

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

    /**
     * Discarding is a hole punch whose cost does not grow with the length, so UNMAP needs no block limit. An atomic
     * write may be as long as any write (it is one buffer held under one range lock), but covers whole pages of
     * {@code pageBlocks} blocks: then no page of the page cache or of the write-back cache arena holds blocks of an
     * atomic write together with blocks another command writes at the same time.
     */
    static BlockLimits of(int blockSize, boolean canDiscard, int pageBlocks) {
        long maxTransferBlocks = MAX_TRANSFER_BYTES / blockSize;
        return new BlockLimits(maxTransferBlocks, MAX_COMPARE_AND_WRITE_BLOCKS,
                canDiscard ? UNLIMITED : 0, canDiscard ? MAX_UNMAP_DESCRIPTORS : 0, MAX_WRITE_SAME_BLOCKS,
                maxTransferBlocks / pageBlocks * pageBlocks, pageBlocks, pageBlocks);
    }
}
