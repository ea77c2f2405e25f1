package dev.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the inbound byte stream into PDUs (RFC 7143 §11.2) and checks their digests.
 *
 * <p>Emits a {@link Pdu} for every intact PDU, or a {@link DataDigestError} for a PDU whose header is intact but
 * whose data digest is not. The Pdu's BHS is a copy; its AHS and data are retained slices of the received bytes,
 * so a payload is never copied here. The receiver releases each Pdu.
 *
 * <p>Throws {@link PduFormatException} when the PDU boundaries can no longer be trusted: a header digest error, a
 * DataSegmentLength over {@link CodecSettings#maxRecvDataSegmentLength()}, or an AHS whose segments do not add up.
 * After that it discards everything it receives; the session is expected to close the connection.
 *
 * <p>Nothing is consumed until a whole PDU has arrived; a partial PDU just waits for more bytes. The lengths in a
 * header are checked as soon as they arrive, so a garbage length is refused before any byte is buffered for it.
 */
public final class PduFrameDecoder extends ByteToMessageDecoder {
    private final CodecSettings settings;
    /** True once the BHS, AHS and header digest of the PDU at the reader index have been verified. */
    private boolean headerVerified;
    private boolean failed;

    public PduFrameDecoder(CodecSettings settings) {
        this.settings = settings;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Bhs.LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int ahsLength = in.getUnsignedByte(start + 4) * 4;
        int dataLength = in.getUnsignedMedium(start + 5);
        if (dataLength > settings.maxRecvDataSegmentLength()) {
            throw fail(in, "DataSegmentLength " + dataLength + " exceeds MaxRecvDataSegmentLength "
                    + settings.maxRecvDataSegmentLength() + " (" + describe(in, start) + ")");
        }
        int headerLength = Bhs.LENGTH + ahsLength;
        int headerDigestLength = settings.headerDigest() ? PduLengths.DIGEST : 0;
        // Verify the header before waiting for the data it announces: with a corrupted length we would otherwise
        // wait for bytes the initiator never sends, or swallow the PDUs that follow.
        if (!headerVerified) {
            if (in.readableBytes() < headerLength + headerDigestLength) {
                return;
            }
            if (headerDigestLength > 0) {
                verifyHeaderDigest(in, start, headerLength);
            }
            verifyAhsSegments(in, start, ahsLength);
            headerVerified = true;
        }
        int dataDigestLength = settings.dataDigest() && dataLength > 0 ? PduLengths.DIGEST : 0;
        int dataStart = start + headerLength + headerDigestLength;
        int paddedDataLength = PduLengths.padded(dataLength);
        int pduLength = headerLength + headerDigestLength + paddedDataLength + dataDigestLength;
        if (in.readableBytes() < pduLength) {
            return;
        }
        headerVerified = false;

        // The digest covers the padding as received: pad bytes only SHOULD be zero (RFC 7143 §13.1).
        if (dataDigestLength > 0
                && Crc32c.checksum(in, dataStart, paddedDataLength) != in.getIntLE(dataStart + paddedDataLength)) {
            out.add(new DataDigestError(copyBhs(in, start)));
            in.skipBytes(pduLength);
            return;
        }
        Bhs bhs = copyBhs(in, start);
        in.skipBytes(Bhs.LENGTH);
        ByteBuf ahs = ahsLength > 0 ? in.readRetainedSlice(ahsLength) : null;
        in.skipBytes(headerDigestLength);
        ByteBuf data = dataLength > 0 ? in.readRetainedSlice(dataLength) : null;
        in.skipBytes(paddedDataLength - dataLength + dataDigestLength);
        out.add(new Pdu(bhs, ahs, data));
    }

    /** RFC 7143 §7.8: a header digest error leaves the PDU boundaries unknown; at ErrorRecoveryLevel 0 that ends
     *  the connection. */
    private void verifyHeaderDigest(ByteBuf in, int start, int headerLength) {
        int received = in.getIntLE(start + headerLength);
        int computed = Crc32c.checksum(in, start, headerLength);
        if (received != computed) {
            throw fail(in, String.format("header digest error: received 0x%08x, computed 0x%08x (%s)",
                    received, computed, describe(in, start)));
        }
    }

    /**
     * Walks the AHS chain (RFC 7143 §11.2.2): each segment is AHSLength (2 bytes), AHSType (1 byte) and AHSLength
     * more bytes, padded to 4. The segments must fill TotalAHSLength exactly. What the types mean is the session's
     * business.
     */
    private void verifyAhsSegments(ByteBuf in, int start, int ahsLength) {
        int position = 0;
        while (position < ahsLength) {
            int segmentLength = PduLengths.padded(
                    PduLengths.AHS_LENGTH_AND_TYPE + in.getUnsignedShort(start + Bhs.LENGTH + position));
            if (segmentLength > ahsLength - position) {
                throw fail(in, "malformed AHS: a segment of " + segmentLength + " bytes at offset " + position
                        + " overruns TotalAHSLength of " + ahsLength + " bytes (" + describe(in, start) + ")");
            }
            position += segmentLength;
        }
    }

    private PduFormatException fail(ByteBuf in, String message) {
        failed = true;
        in.skipBytes(in.readableBytes());
        return new PduFormatException(message);
    }

    private static Bhs copyBhs(ByteBuf in, int start) {
        byte[] bytes = new byte[Bhs.LENGTH];
        in.getBytes(start, bytes);
        return new Bhs(bytes);
    }

    private static String describe(ByteBuf in, int start) {
        return Opcode.name(in.getUnsignedByte(start) & 0x3f) + ", ITT 0x" + Integer.toHexString(in.getInt(start + 16));
    }
}
