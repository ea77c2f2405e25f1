package dev.jtarget.iscsi.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.jtarget.iscsi.initiator.EmbeddedTransport;
import dev.jtarget.iscsi.initiator.ResponseParser;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.login.TargetLimits;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.testing.Gen;
import dev.jtarget.testing.LogCapture;
import dev.jtarget.testing.SeededCases;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Sessions of real and test initiators with bytes, fields, opcodes and PDU order mutated, fed in TCP-sized pieces
 * to the full pipeline (codec, login state machine, full feature phase, SCSI layer). Whatever comes in:
 * <ul>
 *   <li>nothing fails inside the target: no error is logged and no exception reaches the end of the pipeline;</li>
 *   <li>everything it sends is a well-formed PDU, and never half of one;</li>
 *   <li>no connection is left hanging: once the input stops, the login timeout or the keep-alive closes it;</li>
 *   <li>once closed, the session is gone and every buffer received, allocated or sent has been released.</li>
 * </ul>
 */
class PduStreamFuzzTest {
    private static final long BASE_SEED = 20261126L;
    /** Data segments of the seeds' sessions stay within what their initiators declared. */
    private static final int INITIATOR_RECEIVE_LIMIT = 262144;
    /** Feeding a stream in more pieces than this tests nothing new and only costs time. */
    private static final int MAX_PIECES = 256;
    private static final Logger JTARGET_LOG = (Logger) LoggerFactory.getLogger("dev.jtarget");
    private static Level levelBefore;

    /** Every case is expected to trip warnings; keep them out of the console. Errors are still captured. */
    @BeforeAll
    static void quietWarnings() {
        levelBefore = JTARGET_LOG.getLevel();
        JTARGET_LOG.setLevel(Level.ERROR);
    }

    @AfterAll
    static void restoreLogLevel() {
        JTARGET_LOG.setLevel(levelBefore);
    }

    /** One case: which seed, what is done to it, and how the stream is cut into reads. */
    record Case(SeedCorpus.Seed seed, List<Mutation> mutations, int pieceSize) {
        static Case generate(Gen gen) {
            return new Case(gen.choice(SeedCorpus.all()), gen.list(1, 4, () -> Mutation.any(gen)),
                    gen.oneOf(() -> gen.between(1, 64), () -> anyPieceSize(gen)));
        }
    }

    /** One case of an unmutated seed: which one, and how its stream is cut into reads. */
    record CutCase(SeedCorpus.Seed seed, int pieceSize) {
        static CutCase generate(Gen gen) {
            return new CutCase(gen.choice(SeedCorpus.all()), anyPieceSize(gen));
        }
    }

    private static int anyPieceSize(Gen gen) {
        return gen.between(1, 1 << 16);
    }

    static LongStream mutatedCaseSeeds() {
        return SeededCases.seeds(BASE_SEED, 300);
    }

    static LongStream cutCaseSeeds() {
        return SeededCases.seeds(BASE_SEED, 40);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("mutatedCaseSeeds")
    void targetSurvivesMutatedSessions(long caseSeed) {
        SeededCases.check(caseSeed, Case::generate, fuzzCase -> {
            List<byte[]> pdus = new ArrayList<>();
            fuzzCase.seed().pdus().forEach(pdu -> pdus.add(pdu.clone()));
            fuzzCase.mutations().forEach(mutation -> mutation.apply(pdus));
            feedAndCheck(concat(pdus), fuzzCase.pieceSize());
        });
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("cutCaseSeeds")
    void targetSurvivesUnmutatedSeedsCutAnywhere(long caseSeed) {
        SeededCases.check(caseSeed, CutCase::generate,
                cutCase -> feedAndCheck(concat(cutCase.seed().pdus()), cutCase.pieceSize()));
    }

    private static void feedAndCheck(byte[] stream, int pieceSize) {
        try (LogCapture log = new LogCapture();
             EmbeddedTarget target = new EmbeddedTarget(TargetLimits.DEFAULTS, 256, UnaryOperator.identity())) {
            EmbeddedTransport connection = target.connect();
            ResponseParser parser = new ResponseParser();
            int piece = Math.max(pieceSize, stream.length / MAX_PIECES + 1);
            for (int offset = 0; offset < stream.length && !connection.isClosed(); offset += piece) {
                connection.send(Arrays.copyOfRange(stream, offset, Math.min(stream.length, offset + piece)));
                readResponses(connection, parser);
            }
            if (!connection.isClosed()) {
                // The input has stopped: whatever state the connection is in, a guard must end it.
                EmbeddedTarget.advanceTime(connection, EmbeddedTarget.LOGIN_TIMEOUT
                        .plus(EmbeddedTarget.NOP_INTERVAL).plus(EmbeddedTarget.NOP_TIMEOUT).plusSeconds(10));
            }
            readResponses(connection, parser);
            assertTrue(connection.isClosed(), "the connection was left open with nothing more to come");
            assertEquals(0, parser.buffered(), "the target sent part of a PDU");
            assertEquals(0, target.registry.size(), "the session outlived its connection");
            connection.channel().checkException();
            assertEquals(List.of(), log.errors());
        }
    }

    /** Parses (and so checks) everything the target sent so far. */
    private static void readResponses(EmbeddedTransport connection, ResponseParser parser) {
        parser.feed(connection.receive(Duration.ZERO));
        for (ResponsePdu pdu; (pdu = parser.next()) != null; ) {
            if (pdu.is(Opcode.LOGIN_RESPONSE) && pdu.entersFullFeaturePhase() && pdu.loginStatus() == 0) {
                parser.setMaxDataSegmentLength(INITIATOR_RECEIVE_LIMIT);
            }
        }
    }

    private static byte[] concat(List<byte[]> pdus) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pdus.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
