package dev.jtarget.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The test vectors of RFC 3720 Appendix B.4 (carried into RFC 7143 by reference). */
class Crc32cTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void thirtyTwoZeroBytesGiveTheRfcVector() {
        assertChecksum(0x8a9136aa, new byte[32]);
    }

    @Test
    void thirtyTwoOnesBytesGiveTheRfcVector() {
        byte[] bytes = new byte[32];
        java.util.Arrays.fill(bytes, (byte) 0xff);
        assertChecksum(0x62a8ab43, bytes);
    }

    @Test
    void incrementingAndDecrementingBytesGiveTheRfcVectors() {
        byte[] up = new byte[32];
        byte[] down = new byte[32];
        for (int i = 0; i < 32; i++) {
            up[i] = (byte) i;
            down[i] = (byte) (31 - i);
        }
        assertChecksum(0x46dd794e, up);
        assertChecksum(0x113fdb5c, down);
    }

    @Test
    void readCommandPduGivesTheRfcVector() {
        assertChecksum(0xd9963a56, rfcReadCommandPdu());
    }

    @Test
    void checksumOfAnAbsoluteRangeIgnoresTheBytesAroundIt() {
        ByteBuf buf = Unpooled.wrappedBuffer(WireFormat.concat(new byte[] {1, 2, 3}, new byte[32], new byte[] {9}));
        try {
            assertEquals(0x8a9136aa, Crc32c.checksum(buf, 3, 32));
        } finally {
            buf.release();
        }
    }

    @Test
    void checksumOverACompositeOfHeapAndDirectPartsEqualsTheContiguousChecksum() {
        byte[] pdu = rfcReadCommandPdu();
        ByteBuf direct = Unpooled.directBuffer(20).writeBytes(pdu, 10, 20);
        CompositeByteBuf composite = Unpooled.compositeBuffer()
                .addComponents(true, Unpooled.wrappedBuffer(pdu, 0, 10), direct, Unpooled.wrappedBuffer(pdu, 30, 18));
        try {
            assertEquals(0xd9963a56, Crc32c.checksum(composite, 0, pdu.length));
        } finally {
            composite.release();
        }
    }

    @Test
    void paddedChecksumCoversTheZeroPadding() {
        ByteBuf data = Unpooled.wrappedBuffer(new byte[] {'a', 'b', 'c'});
        try {
            byte[] expected = WireFormat.digest(new byte[] {'a', 'b', 'c', 0});
            assertEquals(HEX.formatHex(expected), HEX.formatHex(littleEndian(Crc32c.paddedChecksum(data, 0, 3))));
        } finally {
            data.release();
        }
    }

    private static void assertChecksum(int expected, byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            assertEquals(expected, Crc32c.checksum(buf, 0, bytes.length),
                    () -> "CRC32C of " + HEX.formatHex(bytes));
        } finally {
            buf.release();
        }
    }

    private static byte[] littleEndian(int value) {
        return new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
    }

    /** The "iSCSI - SCSI Read (10) Command PDU" of RFC 3720 Appendix B.4. */
    static byte[] rfcReadCommandPdu() {
        return HEX.parseHex("01c00000" + "00000000" + "00000000" + "00000000"
                + "14000000" + "00000400" + "00000014" + "00000018"
                + "28000000" + "00000000" + "02000000" + "00000000");
    }
}
