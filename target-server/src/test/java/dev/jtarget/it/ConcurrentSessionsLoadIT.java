package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.testing.SeededCases;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Phaser;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64 sessions at once, as a diskless build farm opens them, each writing and verifying its own 1 MiB region of one
 * file LUN with sizes from 4 KiB to 256 KiB (see {@link SessionWorkload}); half log in with immediate and unsolicited
 * data, half with InitialR2T=Yes and ImmediateData=No, so both write paths carry load. Zero errors and zero mismatches
 * are required; each session's IOPS and p50/p99 latency are printed, with the spread across sessions, so unfairness
 * shows.
 *
 * <p>The sessions are {@code TestInitiator}s over real sockets, one thread each: 64 qemu-io or libiscsi processes
 * would cost more CPU than the server on the two shared cores, and report no per-command latency. Real initiators
 * under concurrency are covered by ConcurrentQemuIoIT (32 qemu-io).
 *
 * <p>The soak variant runs the same workload for {@code -Djtarget.soak.seconds} (see README, Tests); without that
 * property it does not run.
 */
@Tag("integration")
class ConcurrentSessionsLoadIT {
    private static final int SESSIONS = 64;
    private static final int REGION_BLOCKS = (int) (mib(1) / SessionWorkload.BLOCK_SIZE);
    private static final TargetSpec FARM = TargetSpec.named("iqn.2026-11.dev.jtarget:it.farm")
            .withLun(0, mib(SESSIONS));
    private static final Duration CI_DURATION = Duration.ofSeconds(20);
    /** Logging in 64 sessions, the final verification reads and logging out, on a loaded machine. */
    private static final Duration JOIN_SLACK = Duration.ofSeconds(120);

    @Test
    void sixtyFourSessionsWriteAndVerifyWithoutErrors(@TempDir Path workDir) throws InterruptedException {
        runLoad("load", workDir, CI_DURATION);
    }

    @Test
    @EnabledIfSystemProperty(named = "jtarget.soak.seconds", matches = "[1-9][0-9]*")
    void soak(@TempDir Path workDir) throws InterruptedException {
        runLoad("soak", workDir, Duration.ofSeconds(Long.parseLong(System.getProperty("jtarget.soak.seconds"))));
    }

    private static void runLoad(String runName, Path workDir, Duration duration) throws InterruptedException {
        long seed = Long.getLong(SeededCases.REPLAY_PROPERTY, System.nanoTime());
        try (TestServer server = TestServer.start(runName, workDir, List.of(FARM))) {
            InetSocketAddress portal = new InetSocketAddress(server.host(), server.port());
            SplittableRandom seeds = new SplittableRandom(seed);
            Phaser start = new Phaser(SESSIONS);
            List<SessionWorkload> sessions = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                String[] keys = i % 2 == 0 ? new String[0] : new String[] {"InitialR2T=Yes", "ImmediateData=No"};
                SessionWorkload session = new SessionWorkload(portal, FARM.name(), i, REGION_BLOCKS,
                        seeds.nextLong(), start, duration, keys);
                sessions.add(session);
                threads.add(Thread.ofPlatform().name("session-" + i).start(session));
            }
            long joinBy = System.nanoTime() + duration.plus(JOIN_SLACK).toNanos();
            for (Thread thread : threads) {
                thread.join(Duration.ofNanos(Math.max(1, joinBy - System.nanoTime())));
                assertFalse(thread.isAlive(), thread.getName() + " still running; server log:\n"
                        + server.logTail(40));
            }

            sessions.forEach(session -> System.out.println(session.report()));
            System.out.println(summary(sessions, duration, seed));
            List<String> problems = sessions.stream().flatMap(s -> s.problems().stream()).toList();
            assertEquals(0, sessions.stream().mapToInt(SessionWorkload::errors).sum(), "errors: " + problems);
            assertEquals(0, sessions.stream().mapToInt(SessionWorkload::mismatches).sum(), "mismatches: " + problems);
            assertTrue(sessions.stream().allMatch(s -> s.commands() > 1), "every session got commands through");
            assertTrue(server.isAlive());
        }
    }

    private static String summary(List<SessionWorkload> sessions, Duration duration, long seed) {
        SessionWorkload slowest = sessions.stream().min(Comparator.comparingDouble(SessionWorkload::iops))
                .orElseThrow();
        SessionWorkload fastest = sessions.stream().max(Comparator.comparingDouble(SessionWorkload::iops))
                .orElseThrow();
        double total = sessions.stream().mapToDouble(SessionWorkload::iops).sum();
        double worstP99 = sessions.stream().mapToDouble(s -> s.latencyMillis(99)).max().orElse(0);
        return String.format("%d sessions for %d s: %.0f IOPS in total; per session min %.1f (session %d), max %.1f"
                        + " (session %d), max/min %.2f; worst p99 %.2f ms; seed %d (-Djtarget.seed to replay)",
                sessions.size(), duration.toSeconds(), total, slowest.iops(), sessions.indexOf(slowest),
                fastest.iops(), sessions.indexOf(fastest), fastest.iops() / Math.max(slowest.iops(), 1e-9), worstP99,
                seed);
    }
}
