package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many initiators at once: 32 qemu-io processes, each its own iSCSI session, write and verify their own region. */
@Tag("integration")
class ConcurrentQemuIoIT {
    private static final int SESSIONS = 32;
    private static final long REGION = mib(2);
    /** Each session writes its region in pieces, so the sessions' command streams interleave at the target. */
    private static final long PIECE = 128 << 10;
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.qemu-io")
            .withLun(0, SESSIONS * REGION);
    private static final Duration SESSION_TIMEOUT = Duration.ofMinutes(3);

    private static TargetUnderTest target;

    @BeforeAll
    static void startTarget(@TempDir Path workDir) {
        Tools.require("qemu-io");
        target = TargetUnderTest.start("qemu-io", workDir, List.of(DISK));
    }

    @AfterAll
    static void stopTarget() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void thirtyTwoConcurrentSessionsWriteAndVerifySeparateRegions() throws Exception {
        List<Tools.Result> sessions = runConcurrently(region -> {
            List<String> commands = new ArrayList<>();
            for (long piece = 0; piece < REGION; piece += PIECE) {
                commands.add("write -P " + pattern(region) + " " + (offset(region) + piece) + " " + PIECE);
            }
            commands.add("flush");
            commands.add("read -P " + pattern(region) + " " + offset(region) + " " + REGION);
            return commands;
        });
        assertAll(sessions.stream().map(session -> () -> assertVerified(session)));

        // One more session reads every region: a write that landed in another session's region shows up here.
        List<String> readAll = new ArrayList<>();
        for (int region = 0; region < SESSIONS; region++) {
            readAll.add("read -P " + pattern(region) + " " + offset(region) + " " + REGION);
        }
        Tools.Result check = qemuIo(readAll);
        assertVerified(check);
        assertEquals(SESSIONS, check.findAll("^(read " + REGION + "/" + REGION + ") bytes").size(), check.describe());
    }

    private static List<Tools.Result> runConcurrently(Function<Integer, List<String>> commandsForRegion)
            throws InterruptedException, ExecutionException {
        try (ExecutorService pool = Executors.newFixedThreadPool(SESSIONS)) {
            List<Future<Tools.Result>> running = IntStream.range(0, SESSIONS)
                    .mapToObj(region -> pool.submit(() -> qemuIo(commandsForRegion.apply(region))))
                    .toList();
            List<Tools.Result> results = new ArrayList<>();
            for (Future<Tools.Result> session : running) {
                results.add(session.get());
            }
            return results;
        }
    }

    /** Old qemu-io versions exit 0 after a failed command, so the verdict also rests on what it printed. */
    private static void assertVerified(Tools.Result session) {
        target.assertSucceeded(session);
        assertTrue(!session.output().contains("Pattern verification failed")
                && !session.output().contains("failed:"), session.describe());
    }

    private static Tools.Result qemuIo(List<String> commands) {
        List<String> argv = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String command : commands) {
            argv.add("-c");
            argv.add(command);
        }
        argv.add(target.url(DISK, 0).toString());
        return Tools.command(argv.toArray(String[]::new)).timeout(SESSION_TIMEOUT).run();
    }

    private static long offset(int region) {
        return region * REGION;
    }

    /** A distinct, non-zero byte per region (a fresh LUN reads as zeros, which must not pass for written data). */
    private static int pattern(int region) {
        return 0x20 + region;
    }
}
