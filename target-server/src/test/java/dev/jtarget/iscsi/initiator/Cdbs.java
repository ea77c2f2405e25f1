package dev.jtarget.iscsi.initiator;

/** The few CDBs the session tests need (SBC-3, SPC-4). */
public final class Cdbs {
    private Cdbs() {
    }

    public static byte[] testUnitReady() {
        return new byte[6];
    }

    public static byte[] read10(long lba, int blocks) {
        return tenByte(0x28, lba, blocks);
    }

    public static byte[] write10(long lba, int blocks) {
        return tenByte(0x2a, lba, blocks);
    }

    /** SYNCHRONIZE CACHE (10) of the whole logical unit. */
    public static byte[] synchronizeCache10() {
        return tenByte(0x35, 0, 0);
    }

    private static byte[] tenByte(int opcode, long lba, int blocks) {
        return new byte[] {(byte) opcode, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba,
                0, (byte) (blocks >>> 8), (byte) blocks, 0};
    }
}
