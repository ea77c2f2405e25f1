package dev.jtarget.scsi;

import java.io.ByteArrayOutputStream;

/** Builds EXTENDED COPY (LID1) parameter lists for tests (SPC-4 §6.4.3). */
final class CopyList {
    private final ByteArrayOutputStream targets = new ByteArrayOutputStream();
    private final ByteArrayOutputStream segments = new ByteArrayOutputStream();
    private final int listIdentifier;
    private final int listIdUsage;

    CopyList(int listIdentifier, int listIdUsage) {
        this.listIdentifier = listIdentifier;
        this.listIdUsage = listIdUsage;
    }

    /** An identification descriptor target descriptor naming {@code lu} by its NAA designator. */
    CopyList target(LogicalUnit lu) {
        return target(lu.identity().naa(), lu.blockSize());
    }

    CopyList target(long naa, int blockSize) {
        byte[] d = new byte[32];
        d[0] = (byte) 0xE4;
        d[4] = 0x01; // binary
        d[5] = 0x03; // LU association, NAA
        d[7] = 8;
        Cdb.put64(d, 8, naa);
        Cdb.put32(d, 28, blockSize);
        targets.writeBytes(d);
        return this;
    }

    CopyList rawTarget(byte[] descriptor) {
        targets.writeBytes(descriptor);
        return this;
    }

    CopyList blockToBlock(int source, int destination, int blocks, long sourceLba, long destinationLba) {
        byte[] d = new byte[28];
        d[0] = 0x02;
        Cdb.put16(d, 2, 24);
        Cdb.put16(d, 4, source);
        Cdb.put16(d, 6, destination);
        Cdb.put16(d, 10, blocks);
        Cdb.put64(d, 12, sourceLba);
        Cdb.put64(d, 20, destinationLba);
        segments.writeBytes(d);
        return this;
    }

    CopyList rawSegment(byte[] descriptor) {
        segments.writeBytes(descriptor);
        return this;
    }

    byte[] build() {
        byte[] t = targets.toByteArray();
        byte[] s = segments.toByteArray();
        byte[] b = new byte[16 + t.length + s.length];
        b[0] = (byte) listIdentifier;
        b[1] = (byte) (listIdUsage << 3);
        Cdb.put16(b, 2, t.length);
        Cdb.put32(b, 8, s.length);
        System.arraycopy(t, 0, b, 16, t.length);
        System.arraycopy(s, 0, b, 16 + t.length, s.length);
        return b;
    }
}
