package dev.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes a {@link Pdu} in wire format (RFC 7143 §11.2): BHS, AHS and header digest in one small buffer, then the
 * data segment itself, then padding and data digest in another small buffer.
 *
 * <p>A {@link MessageToMessageEncoder} rather than a {@code MessageToByteEncoder} because the latter would copy the
 * data segment into its output buffer; here the data goes out as a retained slice, and the transport writes the
 * pieces with one gathering write. The base class also releases the Pdu (after encoding, or on failure) and
 * passes any other message through untouched.
 *
 * <p>The encoder sets TotalAHSLength and DataSegmentLength in the Pdu's BHS from its buffers, so callers never fill
 * them in. It enforces only what the wire format can express; the peer's MaxRecvDataSegmentLength is the session's
 * business.
 */
public final class PduEncoder extends MessageToMessageEncoder<Pdu> {
    private final CodecSettings settings;

    public PduEncoder(CodecSettings settings) {
        super(Pdu.class);
        this.settings = settings;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Pdu pdu, List<Object> out) {
        ByteBuf ahs = pdu.ahs();
        ByteBuf data = pdu.data();
        int ahsLength = ahs.readableBytes();
        int dataLength = data.readableBytes();
        // Everything added to out is written even if encode throws afterwards, so check before adding anything.
        if (ahsLength % 4 != 0 || ahsLength > PduLengths.MAX_TOTAL_AHS_LENGTH) {
            throw new EncoderException("AHS must be a multiple of 4 bytes up to "
                    + PduLengths.MAX_TOTAL_AHS_LENGTH + ", got " + ahsLength + " (" + pdu + ")");
        }
        if (dataLength > CodecSettings.MAX_MAX_RECV_DATA_SEGMENT_LENGTH) {
            throw new EncoderException("data segment of " + dataLength + " bytes does not fit DataSegmentLength ("
                    + pdu + ")");
        }
        Bhs bhs = pdu.bhs();
        bhs.setTotalAhsLength(ahsLength / 4);
        bhs.setDataSegmentLength(dataLength);

        if (dataLength == 0) {
            out.add(encodeHeader(ctx, bhs, ahs));
            return;
        }
        ByteBuf payload = data.retainedSlice();
        ByteBuf trailer = encodeTrailer(ctx, data);
        out.add(encodeHeader(ctx, bhs, ahs));
        out.add(payload);
        if (trailer != null) {
            out.add(trailer);
        }
    }

    private ByteBuf encodeHeader(ChannelHandlerContext ctx, Bhs bhs, ByteBuf ahs) {
        int headerLength = Bhs.LENGTH + ahs.readableBytes();
        boolean digest = settings.headerDigest();
        ByteBuf header = ctx.alloc().ioBuffer(headerLength + (digest ? PduLengths.DIGEST : 0));
        header.writeBytes(bhs.bytes());
        header.writeBytes(ahs, ahs.readerIndex(), ahs.readableBytes());
        if (digest) {
            header.writeIntLE(Crc32c.checksum(header, header.readerIndex(), headerLength));
        }
        return header;
    }

    /** Padding and data digest, or null when the data ends on a 4-byte boundary and carries no digest. */
    private ByteBuf encodeTrailer(ChannelHandlerContext ctx, ByteBuf data) {
        int padding = PduLengths.padding(data.readableBytes());
        boolean digest = settings.dataDigest();
        if (padding == 0 && !digest) {
            return null;
        }
        ByteBuf trailer = ctx.alloc().ioBuffer(padding + (digest ? PduLengths.DIGEST : 0));
        trailer.writeZero(padding);
        if (digest) {
            trailer.writeIntLE(Crc32c.paddedChecksum(data, data.readerIndex(), data.readableBytes()));
        }
        return trailer;
    }
}
