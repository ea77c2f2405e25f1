package dev.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.zip.CRC32C;

/**
 * A reference writer of PDU wire bytes for tests, built on plain byte arrays and {@link CRC32C} so that it shares no
 * code with the encoder it checks.
 */
final class WireFormat {
    private WireFormat() {
    }

    /**
     * The wire bytes of a PDU. Like the encoder, it first sets TotalAHSLength and DataSegmentLength in {@code bhs}
     * from {@code ahs} and {@code data}, so {@code bhs} is what a decoder must hand back.
     */
    static byte[] pdu(Bhs bhs, byte[] ahs, byte[] data, boolean headerDigest, boolean dataDigest) {
        bhs.setTotalAhsLength(ahs.length / 4);
        bhs.setDataSegmentLength(data.length);
        byte[] header = new byte[Bhs.LENGTH + ahs.length];
        System.arraycopy(bhs.bytes(), 0, header, 0, Bhs.LENGTH);
        System.arraycopy(ahs, 0, header, Bhs.LENGTH, ahs.length);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(header);
        if (headerDigest) {
            wire.writeBytes(digest(header));
        }
        if (data.length > 0) {
            byte[] padded = new byte[(data.length + 3) & ~3];
            System.arraycopy(data, 0, padded, 0, data.length);
            wire.writeBytes(padded);
            if (dataDigest) {
                wire.writeBytes(digest(padded));
            }
        }
        return wire.toByteArray();
    }

    static byte[] pdu(Bhs bhs, byte[] data) {
        return pdu(bhs, new byte[0], data, false, false);
    }

    /** CRC32C as it appears on the wire: least significant byte first. */
    static byte[] digest(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        long value = crc.getValue();
        return new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Drains everything the channel wrote, releasing each buffer, and returns the bytes in order. */
    static byte[] drainOutbound(EmbeddedChannel channel) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            buf.release();
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    static byte[] bytes(ByteBuf buf) {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return bytes;
    }

    /** {@code length} bytes that differ from position to position, so a misplaced byte shows. */
    static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed + i * 7);
        }
        return bytes;
    }

    /** An AHS of one segment of type {@code type} carrying {@code content} after the AHS-specific byte 3. */
    static byte[] ahsSegment(int type, byte[] content) {
        int ahsLength = 1 + content.length; // byte 3 plus the content, RFC 7143 §11.2.2
        byte[] segment = new byte[(3 + ahsLength + 3) & ~3];
        segment[0] = (byte) (ahsLength >>> 8);
        segment[1] = (byte) ahsLength;
        segment[2] = (byte) type;
        System.arraycopy(content, 0, segment, 4, content.length);
        return segment;
    }

    static Bhs bhs(int opcode, int initiatorTaskTag) {
        Bhs bhs = Bhs.forOpcode(opcode);
        bhs.setInitiatorTaskTag(initiatorTaskTag);
        bhs.setLun(0x0001_0000_0000_0000L);
        bhs.setCmdSn(0x1234_5678 + initiatorTaskTag);
        bhs.setResidualCount(initiatorTaskTag * 31);
        return bhs;
    }
}
