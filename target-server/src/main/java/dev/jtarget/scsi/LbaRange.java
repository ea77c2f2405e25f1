package dev.jtarget.scsi;

/**
 * The LOGICAL BLOCK ADDRESS and TRANSFER LENGTH (or NUMBER OF LOGICAL BLOCKS) of a block command. The field layout
 * follows the CDB size, which the opcode's group code fixes (SPC-4 §4.2.5.1): every SBC command of one size keeps
 * them at the same offsets.
 */
record LbaRange(long lba, long blocks) {

    /** The range of a 6/10/12/16-byte block command; READ(6)/WRITE(6) length 0 means 256 blocks (SBC-3 §5.7). */
    static LbaRange of(byte[] cdb) {
        return switch (cdbSize(cdb)) {
            case 6 -> {
                int length = Cdb.u8(cdb, 4);
                yield new LbaRange((cdb[1] & 0x1FL) << 16 | Cdb.u16(cdb, 2), length == 0 ? 256 : length);
            }
            case 10 -> new LbaRange(Cdb.u32(cdb, 2), Cdb.u16(cdb, 7));
            case 12 -> new LbaRange(Cdb.u32(cdb, 2), Cdb.u32(cdb, 6));
            default -> new LbaRange(Cdb.u64(cdb, 2), Cdb.u32(cdb, 10));
        };
    }

    /** Where the transfer length field starts, for field pointers. */
    static int lengthFieldOffset(byte[] cdb) {
        return switch (cdbSize(cdb)) {
            case 6 -> 4;
            case 10 -> 7;
            case 12 -> 6;
            default -> 10;
        };
    }

    static int cdbSize(byte[] cdb) {
        return switch ((cdb[0] & 0xFF) >> 5) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 5 -> 12;
            default -> 16;
        };
    }

    /**
     * LOGICAL BLOCK ADDRESS OUT OF RANGE unless the whole range lies on the medium (SBC-3 §4.5). The LBA is unsigned
     * 64-bit, so the sum is checked without overflowing. A zero-length range is allowed up to the capacity.
     */
    void checkWithin(long capacityBlocks) {
        if (Long.compareUnsigned(lba, capacityBlocks) > 0 || blocks > capacityBlocks - lba) {
            throw new CheckCondition(Sense.LBA_OUT_OF_RANGE);
        }
    }

    /** INVALID FIELD IN CDB (at the transfer length) when more blocks are asked for than one command may move. */
    void checkLength(byte[] cdb, long maxBlocks) {
        if (blocks > maxBlocks) {
            throw Cdb.invalidField(lengthFieldOffset(cdb), -1);
        }
    }
}
