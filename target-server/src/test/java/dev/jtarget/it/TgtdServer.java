package dev.jtarget.it;

import static org.junit.jupiter.api.Assumptions.abort;

import dev.jtarget.config.ChapCredentials;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A private tgtd (Linux SCSI target framework) serving the same {@link TargetSpec}s as our server, selected with
 * {@code -Djtarget.it.target=tgtd}. It shows whether a failing integration test is a fault of the test or of our
 * server, and lets the two targets be compared with the same initiators. Needs root and the {@code tgt} package.
 *
 * <p>Differences a reader of a tgtd run must know: tgtd reserves LUN 0 for its controller, so configured LUN
 * {@code n} is LUN {@code n + 1}; it has no wildcards in initiator names; it answers an initiator outside the allow
 * list with "target not found" (0x0203) where RFC 7143 §11.13.5 has "authorization failure" (0x0202).
 */
final class TgtdServer implements TargetUnderTest {
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);

    private final Process process;
    private final int port;
    private final int controlPort;
    private final Path log;
    private final int targetCount;

    private TgtdServer(Process process, int port, int controlPort, Path log, int targetCount) {
        this.process = process;
        this.port = port;
        this.controlPort = controlPort;
        this.log = log;
        this.targetCount = targetCount;
    }

    static TgtdServer start(String runName, Path workDir, List<TargetSpec> targets) {
        Tools.require("tgtd", "tgtadm");
        Path log = ItPaths.outputDir(runName).resolve("tgtd.log");
        int port = Loopback.freePort();
        // tgtd's control port names a unix socket, /var/run/tgtd/socket.N; a random N keeps us off the system tgtd.
        int controlPort = ThreadLocalRandom.current().nextInt(20_000, 30_000);
        Process process;
        try {
            process = Tools.killOnExit(new ProcessBuilder("tgtd", "-f", "-C", String.valueOf(controlPort),
                    "--iscsi", "portal=" + Loopback.HOST + ":" + port)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start tgtd", e);
        }
        TgtdServer server = new TgtdServer(process, port, controlPort, log, targets.size());
        try {
            server.awaitListening();
            for (int i = 0; i < targets.size(); i++) {
                server.configure(i + 1, targets.get(i), workDir);
            }
            server.bindAccounts(targets);
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    @Override
    public String host() {
        return Loopback.HOST;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int lunNumber(int lunId) {
        return lunId + 1;
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public String logTail(int lines) {
        try {
            return Tools.tail(Files.readString(log, StandardCharsets.ISO_8859_1), lines);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** tgtd ignores SIGTERM while it has targets, so it is shut down through its control port (then killed). */
    @Override
    public void close() {
        for (int tid = 1; tid <= targetCount; tid++) {
            tgtadm("--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", String.valueOf(tid), "--force");
        }
        tgtadm("--op", "delete", "--mode", "system");
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        // tgtd leaves its control socket and lock file behind.
        for (String suffix : List.of("", ".lock")) {
            try {
                Files.deleteIfExists(Path.of("/var/run/tgtd/socket." + controlPort + suffix));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void configure(int tid, TargetSpec target, Path workDir) {
        String id = String.valueOf(tid);
        iscsi("--op", "new", "--mode", "target", "--tid", id, "-T", target.name());
        for (TargetSpec.Lun lun : target.luns()) {
            Path file = target.backingFile(workDir, lun);
            try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
                sparse.setLength(lun.sizeBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            iscsi("--op", "new", "--mode", "logicalunit", "--tid", id, "--lun", String.valueOf(lunNumber(lun.id())),
                    "-b", file.toString());
            if (lun.readOnly()) {
                iscsi("--op", "update", "--mode", "logicalunit", "--tid", id, "--lun",
                        String.valueOf(lunNumber(lun.id())), "--params", "readonly=1");
            }
            if (lun.blocksPerPhysicalBlockExponent() > 0) {
                iscsi("--op", "update", "--mode", "logicalunit", "--tid", id, "--lun",
                        String.valueOf(lunNumber(lun.id())),
                        "--params", "lbppbe=" + lun.blocksPerPhysicalBlockExponent());
            }
        }
        // Our server offers CRC32C digests; tgtd only when asked (its default is None).
        iscsi("--op", "update", "--mode", "target", "--tid", id, "-n", "HeaderDigest", "-v", "CRC32C,None");
        iscsi("--op", "update", "--mode", "target", "--tid", id, "-n", "DataDigest", "-v", "CRC32C,None");
        if (target.allowedInitiators().isEmpty()) {
            iscsi("--op", "bind", "--mode", "target", "--tid", id, "-I", "ALL");
        }
        for (String pattern : target.allowedInitiators()) {
            if (pattern.contains("*")) {
                abort("tgtd has no wildcards in initiator names: " + pattern);
            }
            iscsi("--op", "bind", "--mode", "target", "--tid", id, "--initiator-name", pattern);
        }
    }

    /** tgtd's CHAP accounts are daemon-wide objects bound to targets; each user is created once. */
    private void bindAccounts(List<TargetSpec> targets) {
        Map<String, String> secrets = new HashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            String tid = String.valueOf(i + 1);
            TargetSpec target = targets.get(i);
            List<ChapCredentials> accounts = new ArrayList<>();
            target.chap().ifPresent(accounts::add);
            target.mutualChap().ifPresent(accounts::add);
            for (ChapCredentials account : accounts) {
                String known = secrets.putIfAbsent(account.user(), account.secret());
                if (known == null) {
                    iscsi("--op", "new", "--mode", "account", "--user", account.user(), "--password", account.secret());
                } else if (!known.equals(account.secret())) {
                    throw new IllegalArgumentException("tgtd needs one secret per CHAP user: " + account.user());
                }
            }
            target.chap().ifPresent(chap ->
                    iscsi("--op", "bind", "--mode", "account", "--tid", tid, "--user", chap.user()));
            target.mutualChap().ifPresent(chap ->
                    iscsi("--op", "bind", "--mode", "account", "--tid", tid, "--user", chap.user(), "--outgoing"));
        }
    }

    private void iscsi(String... arguments) {
        List<String> argv = new ArrayList<>(List.of("--lld", "iscsi"));
        argv.addAll(List.of(arguments));
        Tools.Result result = tgtadm(argv.toArray(String[]::new));
        if (!result.succeeded()) {
            throw new AssertionError("configuring tgtd failed: " + result.describe());
        }
    }

    private Tools.Result tgtadm(String... arguments) {
        List<String> argv = new ArrayList<>(List.of("tgtadm", "-C", String.valueOf(controlPort)));
        argv.addAll(List.of(arguments));
        return Tools.command(argv.toArray(String[]::new)).timeout(COMMAND_TIMEOUT).run();
    }

    private void awaitListening() {
        long deadline = System.nanoTime() + COMMAND_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            if (Loopback.accepts(port) && tgtadm("--op", "show", "--mode", "sys").succeeded()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("tgtd did not come up on " + portal() + "; log tail:\n" + logTail(40));
    }
}
