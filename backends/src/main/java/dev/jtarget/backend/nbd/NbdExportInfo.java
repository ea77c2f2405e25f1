package dev.jtarget.backend.nbd;

/**
 * What a server told us about an export during the handshake (NBD_INFO_EXPORT and NBD_INFO_BLOCK_SIZE).
 *
 * @param sizeBytes             export size in bytes
 * @param transmissionFlags     NBD_FLAG_* bits sent with the size
 * @param blockSizeAdvertised   whether the server sent NBD_INFO_BLOCK_SIZE; the next three are its values or the
 *                              spec's defaults (1, 4096, 32 MiB) when it did not
 * @param minimumBlockSize      requests must be aligned to this (a power of two, at most 64 KiB)
 * @param preferredBlockSize    smaller or unaligned requests may cost the server a read-modify-write
 * @param maximumBlockSize      the largest READ or WRITE payload the server accepts (unsigned 32-bit)
 */
record NbdExportInfo(long sizeBytes, int transmissionFlags, boolean blockSizeAdvertised, int minimumBlockSize,
                     int preferredBlockSize, long maximumBlockSize) {

    /** Flags whose change between connections would change what we promised the layers above. */
    private static final int FLAGS_WE_RELY_ON = NbdProtocol.FLAG_READ_ONLY | NbdProtocol.FLAG_SEND_FLUSH
            | NbdProtocol.FLAG_SEND_FUA | NbdProtocol.FLAG_SEND_TRIM | NbdProtocol.FLAG_SEND_WRITE_ZEROES
            | NbdProtocol.FLAG_CAN_MULTI_CONN;

    static NbdExportInfo withDefaultBlockSizes(long sizeBytes, int transmissionFlags) {
        return new NbdExportInfo(sizeBytes, transmissionFlags, false, 1, 4096, NbdProtocol.DEFAULT_MAX_PAYLOAD);
    }

    /**
     * Checks an NBD_INFO_BLOCK_SIZE advertisement against the spec's rules.
     *
     * @return the export with those constraints
     * @throws NbdProtocolException when the constraints contradict the spec or each other
     */
    NbdExportInfo withBlockSizes(int minimum, int preferred, long maximum) {
        if (minimum < 1 || minimum > 65536 || Integer.bitCount(minimum) != 1) {
            throw new NbdProtocolException("minimum block size " + minimum + " is not a power of two in 1..65536");
        }
        if (preferred < minimum || Integer.bitCount(preferred) != 1) {
            throw new NbdProtocolException("preferred block size " + preferred
                    + " is not a power of two at least the minimum " + minimum);
        }
        if (maximum < minimum) {
            throw new NbdProtocolException("maximum block size " + maximum + " is below the minimum " + minimum);
        }
        return new NbdExportInfo(sizeBytes, transmissionFlags, true, minimum, preferred, maximum);
    }

    boolean has(int flag) {
        return (transmissionFlags & flag) != 0;
    }

    /**
     * Why a reconnection must not use this export in place of {@code first}, the one the backend was opened with, or
     * null when it may. The layers above keep the size and capabilities they were given at open time.
     */
    String incompatibilityWith(NbdExportInfo first, NbdGeometry geometry) {
        if (sizeBytes != first.sizeBytes) {
            return "export size changed from " + first.sizeBytes + " to " + sizeBytes + " bytes";
        }
        if ((transmissionFlags & FLAGS_WE_RELY_ON) != (first.transmissionFlags & FLAGS_WE_RELY_ON)) {
            return "transmission flags changed from 0x" + Integer.toHexString(first.transmissionFlags) + " to 0x"
                    + Integer.toHexString(transmissionFlags);
        }
        if (minimumBlockSize > geometry.blockSize() || maximumBlockSize < geometry.maxPayload()) {
            return "block size constraints changed to minimum " + minimumBlockSize + ", maximum " + maximumBlockSize;
        }
        return null;
    }
}
