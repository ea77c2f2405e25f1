package dev.jtarget.iscsi.pdu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import dev.jtarget.testing.Gen;
import dev.jtarget.testing.SeededCases;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Whatever the encoder writes, the decoder reads back unchanged, however TCP happens to cut the stream. */
class PduCodecRoundTripTest {
    private static final long BASE_SEED = 20261126L;
    private static final int CASES = 100;
    private static final List<Integer> OPCODES = List.of(
            Opcode.NOP_IN, Opcode.SCSI_RESPONSE, Opcode.LOGIN_RESPONSE, Opcode.TEXT_RESPONSE, Opcode.SCSI_DATA_IN,
            Opcode.R2T, Opcode.REJECT, Opcode.SCSI_COMMAND, Opcode.SCSI_DATA_OUT, Opcode.LOGIN_REQUEST);

    record PduSpec(int opcode, int initiatorTaskTag, int ahsWords, int dataLength) {
    }

    /** One case: the PDUs to send, which digests are on, and how TCP cuts the stream into reads. */
    record Case(List<PduSpec> specs, boolean headerDigest, boolean dataDigest, int chunkSize) {
        static Case generate(Gen gen) {
            return new Case(gen.list(1, 4, () -> pduSpec(gen)), gen.bool(), gen.bool(), gen.between(1, 700));
        }

        private static PduSpec pduSpec(Gen gen) {
            return new PduSpec(gen.choice(OPCODES), gen.anyInt(), gen.between(0, 4),
                    gen.oneOf(() -> gen.between(0, 9), () -> gen.between(0, 3000)));
        }
    }

    static LongStream caseSeeds() {
        return SeededCases.seeds(BASE_SEED, CASES);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("caseSeeds")
    void decodingWhatWasEncodedGivesBackTheSamePdus(long seed) {
        SeededCases.check(seed, Case::generate, PduCodecRoundTripTest::roundTrip);
    }

    private static void roundTrip(Case roundTripCase) {
        List<PduSpec> specs = roundTripCase.specs();
        boolean headerDigest = roundTripCase.headerDigest();
        boolean dataDigest = roundTripCase.dataDigest();
        int chunkSize = roundTripCase.chunkSize();
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
}
