package dev.jtarget.iscsi.session;

import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.EmbeddedTransport;
import dev.jtarget.iscsi.initiator.PduTransport;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.TestInitiator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * What initiators send in whole sessions, one PDU per element, for the fuzzer to start from. Two sources:
 * sessions of real initiators (libiscsi's iscsi-ls, QEMU's qemu-io) captured on the wire by {@link SeedRecorder}
 * and kept as resources, and sessions of the {@link TestInitiator} recorded against an {@link EmbeddedTarget}, which
 * reach what those tools do not (R2T bursts, digests, task management, CHAP).
 *
 * <p>A fresh target answers a replayed session as it answered the recorded one (TSIH and Target Transfer Tags are
 * assigned from 1), so the replay gets as deep into the session as the original did, except past a CHAP challenge.
 */
final class SeedCorpus {
    /** One session: its name and the PDUs the initiator sent, as wire bytes. */
    record Seed(String name, List<byte[]> pdus) {
        @Override
        public String toString() {
            return name + " (" + pdus.size() + " PDUs)";
        }
    }

    /** Resources under seeds/ written by {@link SeedRecorder}. */
    static final List<String> CAPTURED = List.of("iscsi-ls-1", "iscsi-ls-2", "qemu-io-1");

    private static List<Seed> all;

    private SeedCorpus() {
    }

    static synchronized List<Seed> all() {
        if (all == null) {
            List<Seed> seeds = new ArrayList<>();
            CAPTURED.forEach(name -> seeds.add(captured(name)));
            seeds.addAll(scripted());
            all = List.copyOf(seeds);
        }
        return all;
    }

    /** Reads a capture: one PDU per line in hex; lines starting with # are comments. */
    private static Seed captured(String name) {
        String resource = "seeds/" + name + ".hex";
        try (InputStream in = SeedCorpus.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing seed resource " + resource);
            }
            List<byte[]> pdus = new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines()
                    .filter(line -> !line.isBlank() && !line.startsWith("#"))
                    .map(line -> HexFormat.of().parseHex(line.strip()))
                    .toList();
            return new Seed(name, pdus);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Seed> scripted() {
        return List.of(
                record("immediate data", initiator -> {
                    login(initiator, "ImmediateData=Yes", "InitialR2T=No");
                    check(initiator.write(0, new byte[4096]));
                    check(initiator.read(0, 8));
                    initiator.send(initiator.nopOut(new byte[] {1, 2, 3, 4, 5}));
                    initiator.receive();
                    initiator.send(initiator.textRequest("SendTargets=All"));
                    initiator.receive();
                    initiator.send(initiator.taskManagement(TaskManagementFunctions.ABORT_TASK, 0x7777,
                            initiator.nextCmdSn()));
                    initiator.receive();
                    initiator.logout();
                }),
                record("r2t bursts and task management", initiator -> {
                    login(initiator, "ImmediateData=No", "InitialR2T=Yes", "MaxBurstLength=4096",
                            "FirstBurstLength=4096", "MaxOutstandingR2T=2", "MaxRecvDataSegmentLength=1024");
                    initiator.setDataOutSegmentLimit(1024);
                    check(initiator.write(16, new byte[16384]));
                    var write = initiator.command(Cdbs.write10(0, 8),
                            TestInitiator.FLAG_FINAL | TestInitiator.FLAG_WRITE, 4096, new byte[0]);
                    initiator.send(write);
                    initiator.receive();
                    initiator.send(initiator.taskManagement(TaskManagementFunctions.ABORT_TASK,
                            write.bhs().initiatorTaskTag(), write.bhs().cmdSn()));
                    initiator.receive();
                    initiator.send(initiator.taskManagement(TaskManagementFunctions.LOGICAL_UNIT_RESET, -1, 0));
                    initiator.receive();
                    initiator.clearUnitAttention(); // the reset raises one for the issuer too (SAM-5 §7.7)
                    check(initiator.read(16, 32));
                    initiator.logout();
                }),
                record("unsolicited data with digests", initiator -> {
                    login(initiator, "HeaderDigest=CRC32C", "DataDigest=CRC32C", "ImmediateData=No",
                            "InitialR2T=No", "FirstBurstLength=8192");
                    initiator.setDataOutSegmentLimit(4096);
                    check(initiator.write(0, new byte[16384]));
                    check(initiator.read(0, 32));
                    initiator.logout();
                }),
                record("discovery", initiator -> {
                    initiator.loginDiscovery();
                    initiator.send(initiator.textRequest("SendTargets=All"));
                    initiator.receive();
                    initiator.logout();
                }),
                record("chap", initiator -> {
                    if (initiator.loginWithChap(EmbeddedTarget.CHAP_TARGET_NAME, EmbeddedTarget.CHAP_USER,
                            EmbeddedTarget.CHAP_SECRET).loginStatus() != 0) {
                        throw new IllegalStateException("CHAP login failed while recording the seed");
                    }
                    initiator.clearUnitAttention();
                    initiator.logout();
                }));
    }

    private static void login(TestInitiator initiator, String... keys) {
        if (initiator.login(EmbeddedTarget.TARGET_NAME, keys).loginStatus() != 0) {
            throw new IllegalStateException("login failed while recording a seed");
        }
        initiator.clearUnitAttention();
    }

    private static void check(ScsiResult result) {
        if (result.status() != ScsiResult.GOOD) {
            throw new IllegalStateException("command failed while recording a seed: " + result);
        }
    }

    /** Runs {@code script} against a fresh target and keeps every PDU the initiator sent. */
    private static Seed record(String name, Consumer<TestInitiator> script) {
        try (EmbeddedTarget target = new EmbeddedTarget()) {
            Recording recording = new Recording(target.connect());
            script.accept(new TestInitiator(recording, 0x80_0000_0001L, EmbeddedTarget.BLOCK_SIZE));
            return new Seed(name, List.copyOf(recording.sent));
        }
    }

    /** A transport that remembers what it sends; the initiator sends each PDU in one call. */
    private static final class Recording implements PduTransport {
        private final EmbeddedTransport transport;
        private final List<byte[]> sent = new ArrayList<>();

        Recording(EmbeddedTransport transport) {
            this.transport = transport;
        }

        @Override
        public void send(byte[] bytes) {
            sent.add(bytes.clone());
            transport.send(bytes);
        }

        @Override
        public byte[] receive(Duration wait) {
            return transport.receive(wait);
        }

        @Override
        public boolean isClosed() {
            return transport.isClosed();
        }

        @Override
        public void close() {
            transport.close();
        }
    }
}
