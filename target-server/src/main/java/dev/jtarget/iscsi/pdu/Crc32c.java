package dev.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli) as iSCSI uses it for header and data digests (RFC 7143 §13.1, test vectors in RFC 3720
 * Appendix B.4), computed over {@link ByteBuf} ranges through their NIO views, so no byte is copied.
 *
 * <p>{@link CRC32C#getValue()} is the digest as a number; on the wire it travels least significant byte first (the
 * RFC's 32 zero bytes give 0x8a9136aa, sent as {@code aa 36 91 8a}), hence {@code getIntLE}/{@code writeIntLE}.
 */
final class Crc32c {
    /** Pad bytes "SHOULD be set to 0 and are included in the CRC" (RFC 7143 §13.1); we send zeros. */
    private static final byte[] ZERO_PADDING = new byte[3];

    private Crc32c() {
    }

    /** The digest of {@code length} bytes of {@code buf} from absolute {@code index}, as it reads little-endian. */
    static int checksum(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, buf, index, length);
        return (int) crc.getValue();
    }

    /** The data digest of an outgoing segment: over its bytes and then the zero padding that follows them. */
    static int paddedChecksum(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, buf, index, length);
        crc.update(ZERO_PADDING, 0, PduLengths.padding(length));
        return (int) crc.getValue();
    }

    private static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer part : buf.nioBuffers(index, length)) {
                crc.update(part);
            }
        }
    }
}
