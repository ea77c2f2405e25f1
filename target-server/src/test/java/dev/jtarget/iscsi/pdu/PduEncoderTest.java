package dev.jtarget.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PduEncoderTest {
    private final CodecSettings settings = new CodecSettings();
    private final EmbeddedChannel channel = new EmbeddedChannel(new PduEncoder(settings));

    @Test
    void headerDigestOfTheRfcReadCommandGoesOnTheWireLeastSignificantByteFirst() {
        settings.setHeaderDigest(true);
        channel.writeOutbound(new Pdu(new Bhs(Crc32cTest.rfcReadCommandPdu())));

        byte[] wire = WireFormat.drainOutbound(channel);

        assertEquals(52, wire.length);
        assertEquals("563a96d9", HexFormat.of().formatHex(wire, 48, 52));
    }

    @Test
    void fillsInTheLengthsAndPadsOddDataWithZeros() {
        Bhs bhs = WireFormat.bhs(Opcode.SCSI_DATA_IN, 7);
        byte[] ahs = WireFormat.ahsSegment(0x02, new byte[] {0, 0, 0x10, 0});
        byte[] data = WireFormat.pattern(5, 3);

        channel.writeOutbound(new Pdu(bhs, Unpooled.wrappedBuffer(ahs), Unpooled.wrappedBuffer(data)));

        assertEquals(2, bhs.totalAhsLength());
        assertEquals(5, bhs.dataSegmentLength());
        assertArrayEquals(WireFormat.pdu(bhs, ahs, data, false, false), WireFormat.drainOutbound(channel));
    }

    @Test
    void writesBothDigestsAroundPaddedData() {
        settings.setHeaderDigest(true);
        settings.setDataDigest(true);
        Bhs bhs = WireFormat.bhs(Opcode.TEXT_RESPONSE, 9);
        byte[] data = "TargetName=iqn.2025-01.dev.jtarget:disk0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        channel.writeOutbound(new Pdu(bhs, Unpooled.wrappedBuffer(data)));

        assertArrayEquals(WireFormat.pdu(bhs, new byte[0], data, true, true), WireFormat.drainOutbound(channel));
    }

    @Test
    void anEmptyDataSegmentHasNoDataDigest() {
        settings.setHeaderDigest(true);
        settings.setDataDigest(true);

        channel.writeOutbound(new Pdu(WireFormat.bhs(Opcode.NOP_IN, 1)));

        assertEquals(Bhs.LENGTH + 4, WireFormat.drainOutbound(channel).length);
    }

    @Test
    void theDataSegmentGoesOutAsAReferenceToTheCallersBufferNotACopy() {
        ByteBuf data = Unpooled.directBuffer(4096).writeBytes(WireFormat.pattern(4096, 1));

        channel.writeOutbound(new Pdu(WireFormat.bhs(Opcode.SCSI_DATA_IN, 2), data));

        ByteBuf header = channel.readOutbound();
        ByteBuf payload = channel.readOutbound();
        assertNull(channel.readOutbound(), "4096 bytes need neither padding nor a digest");
        header.release();
        assertEquals(1, data.refCnt(), "the encoder released the Pdu; the outbound payload still holds the data");
        payload.release();
        assertEquals(0, data.refCnt());
    }

    @Test
    void refusesAnAhsThatIsNotWholeWordsWithoutWritingAnythingAndReleasesThePdu() {
        ByteBuf ahs = Unpooled.wrappedBuffer(new byte[6]);
        ByteBuf data = Unpooled.wrappedBuffer(new byte[8]);

        assertThrows(EncoderException.class,
                () -> channel.writeOutbound(new Pdu(WireFormat.bhs(Opcode.SCSI_RESPONSE, 3), ahs, data)));

        assertNull(channel.readOutbound());
        assertEquals(0, ahs.refCnt());
        assertEquals(0, data.refCnt());
    }

    @Test
    void passesOtherMessagesThrough() {
        ByteBuf raw = Unpooled.wrappedBuffer(new byte[] {1, 2, 3});

        channel.writeOutbound(raw);

        ByteBuf written = channel.readOutbound();
        assertEquals(raw, written);
        written.release();
    }

    @AfterEach
    void nothingIsLeftInTheChannel() {
        assertFalse(channel.finish());
    }
}
