package dev.jtarget.scsi;

/** Big-endian field access for command descriptor blocks and parameter lists (SPC-4 §4.2.1: MSB first). */
final class Cdb {
    private Cdb() {
    }

    static int u8(byte[] b, int at) {
        return b[at] & 0xFF;
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    static long u32(byte[] b, int at) {
        return (long) u16(b, at) << 16 | u16(b, at + 2);
    }

    /** A 64-bit field; callers compare it with {@link Long#compareUnsigned}. */
    static long u64(byte[] b, int at) {
        return u32(b, at) << 32 | u32(b, at + 4);
    }

    static boolean bit(byte[] b, int at, int bit) {
        return (b[at] >> bit & 1) != 0;
    }

    /** The {@code width}-bit field whose least significant bit is {@code lowBit}. */
    static int bits(byte[] b, int at, int lowBit, int width) {
        return (b[at] & 0xFF) >> lowBit & (1 << width) - 1;
    }

    /** ILLEGAL REQUEST, INVALID FIELD IN CDB pointing at the byte (and bit, or -1) that is wrong. */
    static CheckCondition invalidField(int byteIndex, int bit) {
        return new CheckCondition(Sense.INVALID_FIELD_IN_CDB.withCdbFieldPointer(byteIndex, bit));
    }

    static void put16(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }

    static void put32(byte[] b, int at, long value) {
        put16(b, at, (int) (value >>> 16));
        put16(b, at + 2, (int) value);
    }

    static void put64(byte[] b, int at, long value) {
        put32(b, at, value >>> 32);
        put32(b, at + 4, value);
    }
}
