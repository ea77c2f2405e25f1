package dev.jtarget.iscsi.initiator;

import dev.jtarget.iscsi.pdu.Bhs;
import java.io.ByteArrayOutputStream;
import java.util.zip.CRC32C;

/**
 * A PDU an initiator sends, kept as header and data so a test can still change a field before it goes out. The wire
 * format is written here with plain byte arrays and the JDK's {@link CRC32C}, sharing no code with the target's
 * encoder and decoder.
 */
public final class RequestPdu {
    private final Bhs bhs;
    private final byte[] ahs;
    private final byte[] data;

    public RequestPdu(Bhs bhs, byte[] ahs, byte[] data) {
        this.bhs = bhs;
        this.ahs = ahs;
        this.data = data;
    }

    public RequestPdu(Bhs bhs, byte[] data) {
        this(bhs, new byte[0], data);
    }

    /** The header; changes show in the next {@link #wire}. */
    public Bhs bhs() {
        return bhs;
    }

    /**
     * The bytes on the wire (RFC 7143 §11.2): BHS with TotalAHSLength and DataSegmentLength filled in, AHS, header
     * digest, data padded to 4 bytes, data digest.
     */
    public byte[] wire(boolean headerDigest, boolean dataDigest) {
        bhs.setTotalAhsLength(ahs.length / 4);
        bhs.setDataSegmentLength(data.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream(Bhs.LENGTH + ahs.length + data.length + 12);
        out.writeBytes(bhs.bytes());
        out.writeBytes(ahs);
        if (headerDigest) {
            CRC32C crc = new CRC32C();
            crc.update(bhs.bytes());
            crc.update(ahs);
            writeDigest(out, crc);
        }
        if (data.length > 0) {
            byte[] padded = new byte[(data.length + 3) & ~3];
            System.arraycopy(data, 0, padded, 0, data.length);
            out.writeBytes(padded);
            if (dataDigest) {
                CRC32C crc = new CRC32C();
                crc.update(padded);
                writeDigest(out, crc);
            }
        }
        return out.toByteArray();
    }

    /** CRC32C goes on the wire least significant byte first (RFC 7143 §13.1). */
    private static void writeDigest(ByteArrayOutputStream out, CRC32C crc) {
        long value = crc.getValue();
        for (int i = 0; i < 4; i++) {
            out.write((int) (value >>> (8 * i)));
        }
    }

    @Override
    public String toString() {
        return bhs.toString();
    }
}
