package dev.jtarget.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Whatever the encoder writes, the decoder reads back unchanged, however TCP happens to cut the stream. */
class PduCodecRoundTripTest {
    private static final List<Integer> OPCODES = List.of(
            Opcode.NOP_IN, Opcode.SCSI_RESPONSE, Opcode.LOGIN_RESPONSE, Opcode.TEXT_RESPONSE, Opcode.SCSI_DATA_IN,
            Opcode.R2T, Opcode.REJECT, Opcode.SCSI_COMMAND, Opcode.SCSI_DATA_OUT, Opcode.LOGIN_REQUEST);

    record PduSpec(int opcode, int initiatorTaskTag, int ahsWords, int dataLength) {
    }

    @Property(tries = 100)
    void decodingWhatWasEncodedGivesBackTheSamePdus(
            @ForAll("pduSpecs") List<PduSpec> specs,
            @ForAll boolean headerDigest,
            @ForAll boolean dataDigest,
            @ForAll @IntRange(min = 1, max = 700) int chunkSize) {
        CodecSettings settings = new CodecSettings();
        settings.setHeaderDigest(headerDigest);
        settings.setDataDigest(dataDigest);
        EmbeddedChannel encoder = new EmbeddedChannel(new PduEncoder(settings));
        EmbeddedChannel decoder = new EmbeddedChannel(new PduFrameDecoder(settings));

        List<Bhs> headers = new ArrayList<>();
        List<byte[]> ahsSegments = new ArrayList<>();
        List<byte[]> dataSegments = new ArrayList<>();
        List<ByteBuf> sent = new ArrayList<>();
        for (PduSpec spec : specs) {
            Bhs bhs = WireFormat.bhs(spec.opcode(), spec.initiatorTaskTag());
            byte[] ahs = spec.ahsWords() == 0
                    ? new byte[0]
                    : WireFormat.ahsSegment(0x01, WireFormat.pattern(spec.ahsWords() * 4 - 4, spec.ahsWords()));
            byte[] data = WireFormat.pattern(spec.dataLength(), spec.initiatorTaskTag());
            ByteBuf dataBuf = Unpooled.directBuffer(data.length).writeBytes(data);
            sent.add(dataBuf);
            encoder.writeOutbound(new Pdu(bhs, Unpooled.wrappedBuffer(ahs), dataBuf));
            headers.add(bhs);
            ahsSegments.add(ahs);
            dataSegments.add(data);
        }
        byte[] wire = WireFormat.drainOutbound(encoder);

        List<ByteBuf> received = new ArrayList<>();
        for (int offset = 0; offset < wire.length; offset += chunkSize) {
            int length = Math.min(chunkSize, wire.length - offset);
            ByteBuf chunk = Unpooled.directBuffer(length).writeBytes(wire, offset, length);
            received.add(chunk);
            decoder.writeInbound(chunk);
        }

        for (int i = 0; i < specs.size(); i++) {
            Pdu pdu = decoder.readInbound();
            assertArrayEquals(headers.get(i).bytes(), pdu.bhs().bytes());
            assertArrayEquals(ahsSegments.get(i), WireFormat.bytes(pdu.ahs()));
            assertArrayEquals(dataSegments.get(i), WireFormat.bytes(pdu.data()));
            pdu.release();
        }
        assertFalse(decoder.finish(), "no more PDUs than were sent");
        assertFalse(encoder.finish());
        for (ByteBuf buf : sent) {
            assertEquals(0, buf.refCnt(), "leaked outbound data");
        }
        for (ByteBuf buf : received) {
            assertEquals(0, buf.refCnt(), "leaked inbound buffer");
        }
    }

    @Provide
    Arbitrary<List<PduSpec>> pduSpecs() {
        Arbitrary<PduSpec> spec = Combinators.combine(
                Arbitraries.of(OPCODES),
                Arbitraries.integers(),
                Arbitraries.integers().between(0, 4),
                Arbitraries.oneOf(Arbitraries.integers().between(0, 9), Arbitraries.integers().between(0, 3000)))
                .as(PduSpec::new);
        return spec.list().ofMinSize(1).ofMaxSize(4);
    }
}
