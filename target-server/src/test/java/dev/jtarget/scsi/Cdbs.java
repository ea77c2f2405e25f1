package dev.jtarget.scsi;

/** CDB builders for tests, laid out as SPC-4 and SBC-3 define them. */
final class Cdbs {
    private Cdbs() {
    }

    static byte[] cdb(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return b;
    }

    static byte[] testUnitReady() {
        return new byte[6];
    }

    static byte[] inquiry(boolean evpd, int page, int allocationLength) {
        return cdb(0x12, evpd ? 1 : 0, page, allocationLength >> 8, allocationLength, 0);
    }

    static byte[] requestSense(boolean descriptor, int allocationLength) {
        return cdb(0x03, descriptor ? 1 : 0, 0, 0, allocationLength, 0);
    }

    static byte[] reportLuns(int select, int allocationLength) {
        byte[] b = new byte[12];
        b[0] = (byte) 0xA0;
        b[2] = (byte) select;
        Cdb.put32(b, 6, allocationLength);
        return b;
    }

    static byte[] read6(int lba, int blocks) {
        return cdb(0x08, lba >> 16 & 0x1F, lba >> 8, lba, blocks, 0);
    }

    static byte[] write6(int lba, int blocks) {
        return cdb(0x0A, lba >> 16 & 0x1F, lba >> 8, lba, blocks, 0);
    }

    static byte[] read10(long lba, int blocks) {
        return tenByte(0x28, lba, blocks);
    }

    static byte[] write10(long lba, int blocks) {
        return tenByte(0x2A, lba, blocks);
    }

    static byte[] tenByte(int opcode, long lba, int blocks) {
        byte[] b = new byte[10];
        b[0] = (byte) opcode;
        Cdb.put32(b, 2, lba);
        Cdb.put16(b, 7, blocks);
        return b;
    }

    static byte[] read12(long lba, long blocks) {
        return twelveByte(0xA8, lba, blocks);
    }

    static byte[] write12(long lba, long blocks) {
        return twelveByte(0xAA, lba, blocks);
    }

    static byte[] twelveByte(int opcode, long lba, long blocks) {
        byte[] b = new byte[12];
        b[0] = (byte) opcode;
        Cdb.put32(b, 2, lba);
        Cdb.put32(b, 6, blocks);
        return b;
    }

    static byte[] read16(long lba, long blocks) {
        return sixteenByte(0x88, lba, blocks);
    }

    static byte[] write16(long lba, long blocks) {
        return sixteenByte(0x8A, lba, blocks);
    }

    static byte[] sixteenByte(int opcode, long lba, long blocks) {
        byte[] b = new byte[16];
        b[0] = (byte) opcode;
        Cdb.put64(b, 2, lba);
        Cdb.put32(b, 10, blocks);
        return b;
    }

    static byte[] readCapacity10() {
        return new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    }

    static byte[] readCapacity16(int allocationLength) {
        byte[] b = new byte[16];
        b[0] = (byte) 0x9E;
        b[1] = 0x10;
        Cdb.put32(b, 10, allocationLength);
        return b;
    }

    static byte[] modeSense6(int pageControl, int page, int subpage, int allocationLength, boolean dbd) {
        return cdb(0x1A, dbd ? 0x08 : 0, pageControl << 6 | page, subpage, allocationLength, 0);
    }

    static byte[] modeSense10(int pageControl, int page, int allocationLength, boolean dbd, boolean llbaa) {
        return cdb(0x5A, (dbd ? 0x08 : 0) | (llbaa ? 0x10 : 0), pageControl << 6 | page, 0, 0, 0, 0,
                allocationLength >> 8, allocationLength, 0);
    }

    static byte[] modeSelect6(int listLength) {
        return cdb(0x15, 0x10, 0, 0, listLength, 0);
    }

    static byte[] modeSelect10(int listLength) {
        return cdb(0x55, 0x10, 0, 0, 0, 0, 0, listLength >> 8, listLength, 0);
    }

    static byte[] synchronizeCache10(long lba, int blocks, boolean immediate) {
        byte[] b = tenByte(0x35, lba, blocks);
        b[1] = (byte) (immediate ? 0x02 : 0);
        return b;
    }

    static byte[] synchronizeCache16(long lba, long blocks) {
        return sixteenByte(0x91, lba, blocks);
    }

    static byte[] verify10(int byteCheck, long lba, int blocks) {
        byte[] b = tenByte(0x2F, lba, blocks);
        b[1] = (byte) (byteCheck << 1);
        return b;
    }

    static byte[] startStopUnit(int byte4) {
        return cdb(0x1B, 0, 0, 0, byte4, 0);
    }

    static byte[] preventAllow(int prevent) {
        return cdb(0x1E, 0, 0, 0, prevent, 0);
    }

    static byte[] unmap(int listLength) {
        return cdb(0x42, 0, 0, 0, 0, 0, 0, listLength >> 8, listLength, 0);
    }

    static byte[] writeSame16(long lba, long blocks, boolean unmap, boolean noDataOut) {
        byte[] b = sixteenByte(0x93, lba, blocks);
        b[1] = (byte) ((unmap ? 0x08 : 0) | (noDataOut ? 0x01 : 0));
        return b;
    }

    static byte[] writeSame10(long lba, int blocks, boolean unmap) {
        byte[] b = tenByte(0x41, lba, blocks);
        b[1] = (byte) (unmap ? 0x08 : 0);
        return b;
    }

    static byte[] compareAndWrite(long lba, int blocks) {
        byte[] b = new byte[16];
        b[0] = (byte) 0x89;
        Cdb.put64(b, 2, lba);
        b[13] = (byte) blocks;
        return b;
    }

    static byte[] getLbaStatus(long lba, int allocationLength) {
        byte[] b = new byte[16];
        b[0] = (byte) 0x9E;
        b[1] = 0x12;
        Cdb.put64(b, 2, lba);
        Cdb.put32(b, 10, allocationLength);
        return b;
    }

    static byte[] reportSupportedOperationCodes(int options, int opcode, int serviceAction, int allocation) {
        byte[] b = new byte[12];
        b[0] = (byte) 0xA3;
        b[1] = 0x0C;
        b[2] = (byte) options;
        b[3] = (byte) opcode;
        Cdb.put16(b, 4, serviceAction);
        Cdb.put32(b, 6, allocation);
        return b;
    }

    static byte[] reportSupportedTaskManagementFunctions(boolean extended, int allocation) {
        byte[] b = new byte[12];
        b[0] = (byte) 0xA3;
        b[1] = 0x0D;
        b[2] = (byte) (extended ? 0x80 : 0);
        Cdb.put32(b, 6, allocation);
        return b;
    }

    static byte[] persistentReserveIn(int serviceAction, int allocationLength) {
        return cdb(0x5E, serviceAction, 0, 0, 0, 0, 0, allocationLength >> 8, allocationLength, 0);
    }

    static byte[] persistentReserveOut(int serviceAction, int type, int listLength) {
        byte[] b = cdb(0x5F, serviceAction, type, 0, 0, 0, 0, 0, 0, 0);
        Cdb.put32(b, 5, listLength);
        return b;
    }

    /** The basic PERSISTENT RESERVE OUT parameter list (SPC-4 §6.15.3); {@code flags} is byte 20. */
    static byte[] proutParameters(long reservationKey, long serviceActionKey, int flags) {
        byte[] b = new byte[24];
        Cdb.put64(b, 0, reservationKey);
        Cdb.put64(b, 8, serviceActionKey);
        b[20] = (byte) flags;
        return b;
    }

    static byte[] orWrite(long lba, long blocks) {
        return sixteenByte(0x8B, lba, blocks);
    }

    /** WRITE ATOMIC(16): its TRANSFER LENGTH is two bytes at 12, after the ATOMIC BOUNDARY. */
    static byte[] writeAtomic16(long lba, int blocks) {
        byte[] b = new byte[16];
        b[0] = (byte) 0x9C;
        Cdb.put64(b, 2, lba);
        Cdb.put16(b, 12, blocks);
        return b;
    }

    static byte[] extendedCopy(int listLength) {
        byte[] b = new byte[16];
        b[0] = (byte) 0x83;
        Cdb.put32(b, 10, listLength);
        return b;
    }

    static byte[] receiveCopyResults(int serviceAction, int listIdentifier, int allocationLength) {
        byte[] b = new byte[16];
        b[0] = (byte) 0x84;
        b[1] = (byte) serviceAction;
        b[2] = (byte) listIdentifier;
        Cdb.put32(b, 10, allocationLength);
        return b;
    }
}
