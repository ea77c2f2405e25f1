package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our server restarted gracefully (SIGTERM, then started again on the same port and LUN file) while the Linux kernel
 * initiator in the VM guest is logged in and writing: the harness's {@code examples/io-across-reconnect.sh} writes and
 * reads back 4 MiB blocks with O_DIRECT the whole time, the host hook restarts the server a few seconds in, iscsid
 * logs in again within its replacement timeout (30 s) and the I/O resumes. The kernel may report the broken
 * connection ({@code --allow-conn-errors}); any I/O error or read-back mismatch fails the run.
 */
@Tag("integration")
class KernelInitiatorRestartIT {
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.kernel-restart")
            .withLun(0, mib(300));
    /** The I/O loop runs this long in the guest: the restart at about 5 s, the reconnect, and I/O after it. */
    private static final int IO_SECONDS = 30;
    private static final Duration RESTART_AFTER = Duration.ofSeconds(5);
    /** JVM start and bind, generous for two shared cores. */
    private static final Duration RESTART_LIMIT = Duration.ofSeconds(60);
    private static final Duration GUEST_TIMEOUT = Duration.ofMinutes(6);

    private TestServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void guestIoResumesWithoutErrorsAfterAGracefulRestart(@TempDir Path workDir) throws Exception {
        VmHarness harness = VmHarness.locate();
        server = TestServer.start("kernel-restart", workDir, List.of(DISK));
        Path hookDir = Files.createDirectory(workDir.resolve("hook"));
        try (HostHook hook = HostHook.serving(hookDir, this::restartGracefully)) {
            Tools.Result run = harness.runIscsiadm("restart", GUEST_TIMEOUT, List.of(
                    "--portal", server.portal(), "--target", DISK.name(),
                    "--script", harness.example("io-across-reconnect.sh").toString(),
                    "--env", "IO_SECONDS=" + IO_SECONDS, "--allow-conn-errors",
                    "--host-hook", hook.command(RESTART_AFTER, RESTART_LIMIT)));

            hook.rethrowFailure();
            server.assertSucceeded(run);
            assertTrue(run.output().contains("HARNESS RESULT: PASS"), run.describe());
            assertEquals(1, hook.actions(), "the server was restarted once");
            assertEquals("0", run.find("^HARNESS RESULT: PASS .*\\bkernel_errors=(\\d+)"), "I/O errors in the guest");
            int iterations = Integer.parseInt(run.find("^HARNESS RESULT: PASS .*\\bio_iterations=(\\d+)"));
            assertTrue(iterations >= 2, "one write+verify across the restart and more after it: " + iterations);
            // What the server logged since its restart (TestServer starts each run with a "=== command" line).
            String log = server.logTail(200);
            String sinceRestart = log.substring(log.lastIndexOf("\n=== ") + 1);
            assertTrue(sinceRestart.contains("normal session TSIH") && sinceRestart.contains("ended (logout)"),
                    "the guest logged in to the restarted server and logged out at the end:\n" + sinceRestart);
            System.out.printf("kernel initiator across a graceful restart: %d write+verify iterations of 4 MiB,"
                    + " %s stalled, conn_errors=%s%n", iterations,
                    run.find("^HARNESS RESULT: PASS .*\\bio_stalls=(\\d+)"),
                    run.find("^HARNESS RESULT: PASS .*\\bconn_errors=(\\d+)"));
        }
    }

    /** SIGTERM and wait for the exit (TestServer.close fails the test if it takes too long), then the same again. */
    private void restartGracefully() {
        server.close();
        server.restart();
    }
}
