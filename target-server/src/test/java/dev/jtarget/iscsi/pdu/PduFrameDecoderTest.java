package dev.jtarget.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PduFrameDecoderTest {
    private final CodecSettings settings = new CodecSettings();
    private final EmbeddedChannel channel = new EmbeddedChannel(new PduFrameDecoder(settings));
    private final List<ByteBuf> received = new ArrayList<>();

    @Test
    void decodesAPduWithAhsAndOddDataIntoACopiedHeaderAndSlicedSegments() {
        Bhs bhs = WireFormat.bhs(Opcode.SCSI_COMMAND, 5);
        byte[] ahs = WireFormat.ahsSegment(0x01, WireFormat.pattern(16, 40)); // Extended CDB of a 32-byte CDB
        byte[] data = WireFormat.pattern(513, 9);

        receive(WireFormat.pdu(bhs, ahs, data, false, false));

        Pdu pdu = channel.readInbound();
        assertArrayEquals(bhs.bytes(), pdu.bhs().bytes());
        assertArrayEquals(ahs, WireFormat.bytes(pdu.ahs()));
        assertArrayEquals(data, WireFormat.bytes(pdu.data()));
        assertTrue(received.getFirst().refCnt() > 0, "the Pdu's segments are slices keeping the received bytes");
        pdu.release();
        assertEquals(0, received.getFirst().refCnt());
    }

    @Test
    void decodesAPduFedOneByteAtATime() {
        settings.setHeaderDigest(true);
        settings.setDataDigest(true);
        Bhs bhs = WireFormat.bhs(Opcode.SCSI_DATA_OUT, 6);
        byte[] data = WireFormat.pattern(1021, 2);
        byte[] wire = WireFormat.pdu(bhs, new byte[0], data, true, true);

        for (int i = 0; i < wire.length - 1; i++) {
            receive(new byte[] {wire[i]});
            assertNull(channel.readInbound(), "nothing is emitted before the last byte");
        }
        receive(new byte[] {wire[wire.length - 1]});

        Pdu pdu = channel.readInbound();
        assertArrayEquals(bhs.bytes(), pdu.bhs().bytes());
        assertArrayEquals(data, WireFormat.bytes(pdu.data()));
        pdu.release();
    }

    @Test
    void decodesTwoPdusFromOneBuffer() {
        Bhs first = WireFormat.bhs(Opcode.NOP_OUT, 1);
        Bhs second = WireFormat.bhs(Opcode.TEXT_REQUEST, 2);
        byte[] text = "SendTargets=All\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        receive(WireFormat.concat(WireFormat.pdu(first, new byte[0]), WireFormat.pdu(second, text)));

        Pdu nop = channel.readInbound();
        Pdu textRequest = channel.readInbound();
        assertEquals(Opcode.NOP_OUT, nop.opcode());
        assertEquals(0, nop.data().readableBytes());
        assertEquals(Opcode.TEXT_REQUEST, textRequest.opcode());
        assertArrayEquals(text, WireFormat.bytes(textRequest.data()));
        nop.release();
        textRequest.release();
    }

    @Test
    void aDataDigestErrorIsReportedWithTheHeaderAndTheNextPduStillDecodes() {
        settings.setDataDigest(true);
        Bhs damaged = WireFormat.bhs(Opcode.SCSI_DATA_OUT, 3);
        Bhs intact = WireFormat.bhs(Opcode.SCSI_DATA_OUT, 4);
        byte[] first = WireFormat.pdu(damaged, new byte[0], WireFormat.pattern(100, 1), false, true);
        first[Bhs.LENGTH + 50] ^= 0x10;
        byte[] second = WireFormat.pdu(intact, new byte[0], WireFormat.pattern(100, 2), false, true);

        receive(WireFormat.concat(first, second));

        DataDigestError error = assertInstanceOf(DataDigestError.class, channel.readInbound());
        assertArrayEquals(Arrays.copyOf(first, Bhs.LENGTH), error.bhs().bytes());
        Pdu pdu = channel.readInbound();
        assertArrayEquals(intact.bytes(), pdu.bhs().bytes());
        pdu.release();
    }

    @Test
    void theDataDigestCoversThePadding() {
        settings.setDataDigest(true);
        byte[] wire = WireFormat.pdu(WireFormat.bhs(Opcode.SCSI_DATA_OUT, 3), new byte[0], new byte[5], false, true);
        wire[Bhs.LENGTH + 6] = 1; // a pad byte

        receive(wire);

        assertInstanceOf(DataDigestError.class, channel.readInbound());
    }

    @Test
    void aHeaderDigestErrorIsFatalAndLaterBytesAreDiscarded() {
        settings.setHeaderDigest(true);
        byte[] wire = WireFormat.pdu(WireFormat.bhs(Opcode.NOP_OUT, 1), new byte[0], new byte[0], true, false);
        wire[20] ^= 1;

        PduFormatException error = assertThrows(PduFormatException.class, () -> receive(wire));
        assertTrue(error.getMessage().contains("header digest"), error.getMessage());

        receive(WireFormat.pdu(WireFormat.bhs(Opcode.NOP_OUT, 2), new byte[0], new byte[0], true, false));
        assertNull(channel.readInbound());
    }

    @Test
    void aHeaderDigestErrorIsFoundBeforeTheAnnouncedDataArrives() {
        settings.setHeaderDigest(true);
        byte[] wire = WireFormat.pdu(WireFormat.bhs(Opcode.SCSI_DATA_OUT, 1), new byte[0], new byte[4000], true, false);
        wire[7] ^= 0x04; // a corrupted DataSegmentLength, still under the limit

        assertThrows(PduFormatException.class, () -> receive(Arrays.copyOf(wire, Bhs.LENGTH + 4)));
    }

    @Test
    void aDataSegmentLengthOverTheLimitIsRefusedAsSoonAsTheBhsArrives() {
        Bhs bhs = WireFormat.bhs(Opcode.SCSI_DATA_OUT, 1);
        bhs.setDataSegmentLength(0xffffff);

        PduFormatException error = assertThrows(PduFormatException.class, () -> receive(bhs.bytes()));
        assertTrue(error.getMessage().contains("16777215 exceeds MaxRecvDataSegmentLength 8192"), error.getMessage());
    }

    @Test
    void aDataSegmentOfExactlyTheLimitIsAcceptedAndTheLimitCanBeRaised() {
        receive(WireFormat.pdu(WireFormat.bhs(Opcode.LOGIN_REQUEST, 1), new byte[8192]));
        Pdu atLoginLimit = channel.readInbound();
        assertEquals(8192, atLoginLimit.data().readableBytes());
        atLoginLimit.release();

        settings.setMaxRecvDataSegmentLength(65536);
        receive(WireFormat.pdu(WireFormat.bhs(Opcode.SCSI_DATA_OUT, 2), new byte[65536]));
        Pdu atRaisedLimit = channel.readInbound();
        assertEquals(65536, atRaisedLimit.data().readableBytes());
        atRaisedLimit.release();
    }

    @Test
    void anAhsSegmentOverrunningTotalAhsLengthIsFatal() {
        byte[] ahs = new byte[8];
        ahs[1] = 9; // AHSLength 9: 3 + 9 bytes, padded to 12, in an AHS area of 8
        byte[] wire = WireFormat.pdu(WireFormat.bhs(Opcode.SCSI_COMMAND, 1), ahs, new byte[0], false, false);

        PduFormatException error = assertThrows(PduFormatException.class, () -> receive(wire));
        assertTrue(error.getMessage().contains("malformed AHS"), error.getMessage());
    }

    @Test
    void twoAhsSegmentsFillingTotalAhsLengthAreAccepted() {
        byte[] ahs = WireFormat.concat(WireFormat.ahsSegment(0x01, new byte[4]), WireFormat.ahsSegment(0x02, new byte[4]));
        receive(WireFormat.pdu(WireFormat.bhs(Opcode.SCSI_COMMAND, 1), ahs, new byte[0], false, false));

        Pdu pdu = channel.readInbound();
        assertArrayEquals(ahs, WireFormat.bytes(pdu.ahs()));
        pdu.release();
    }

    @Test
    void digestsEnabledWhileHandlingAPduApplyFromTheNextPduInTheSameBuffer() {
        channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                settings.setHeaderDigest(true);
                settings.setDataDigest(true);
                ctx.fireChannelRead(msg);
            }
        });
        byte[] withoutDigests = WireFormat.pdu(WireFormat.bhs(Opcode.LOGIN_REQUEST, 1), new byte[0], new byte[3],
                false, false);
        byte[] withDigests = WireFormat.pdu(WireFormat.bhs(Opcode.SCSI_COMMAND, 2), new byte[0], new byte[3],
                true, true);

        receive(WireFormat.concat(withoutDigests, withDigests));

        Pdu login = channel.readInbound();
        Pdu command = channel.readInbound();
        assertEquals(Opcode.LOGIN_REQUEST, login.opcode());
        assertEquals(Opcode.SCSI_COMMAND, command.opcode());
        login.release();
        command.release();
    }

    @AfterEach
    void everyReceivedBufferIsReleased() {
        assertFalse(channel.finish(), "unread messages left in the channel");
        for (ByteBuf buf : received) {
            assertEquals(0, buf.refCnt(), "leaked input buffer");
        }
    }

    private void receive(byte[] bytes) {
        ByteBuf buf = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        received.add(buf);
        channel.writeInbound(buf);
    }
}
