package dev.jtarget.config;

/**
 * One logical unit of a target.
 *
 * @param writeCache        {@code true} reports WCE=1 and acknowledges writes from the write-back cache
 * @param blockSize         logical block size in bytes: 512 or 4096
 * @param physicalBlockSize the physical block size reported to initiators: {@code blockSize} times a power of two
 *                          (READ CAPACITY(16) carries the ratio as a 4-bit exponent, SBC-3 §5.16.2)
 */
public record LunConfig(int id, boolean writeCache, int blockSize, int physicalBlockSize, boolean readOnly,
                        BackendConfig backend) {

    /** The largest LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT, a 4-bit field. */
    public static final int MAX_BLOCKS_PER_PHYSICAL_BLOCK_EXPONENT = 15;

    /** A LUN with one logical block per physical block. */
    public LunConfig(int id, boolean writeCache, int blockSize, boolean readOnly, BackendConfig backend) {
        this(id, writeCache, blockSize, blockSize, readOnly, backend);
    }

    /** Whether {@code physicalBlockSize} is {@code blockSize} times 2^0 to 2^15 ({@code blockSize} a power of two). */
    public static boolean isPhysicalBlockSizeOf(int physicalBlockSize, int blockSize) {
        return physicalBlockSize >= blockSize && physicalBlockSize % blockSize == 0
                && Integer.bitCount(physicalBlockSize / blockSize) == 1
                && physicalBlockSize / blockSize <= 1 << MAX_BLOCKS_PER_PHYSICAL_BLOCK_EXPONENT;
    }
}
