package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's conformance suite, destructive tests included, against a thin-provisioned file LUN that our server
 * offers on two portals, so the MultipathIO suite runs with one URL per portal. The ReadOnly suite needs a
 * write-protected LUN, which the main run (it writes) cannot use; it runs again on its own against a read-only LUN
 * of the same target, and its verdict replaces the main run's "not write-protected" skip
 * ({@link TestCuScore#withTargetedRun}; {@code ../shared/tools/testcu-score} on the two logs concatenated counts the
 * same here). The bar: the suite runs to the end, the server survives it, no test fails, and the pass count does not
 * fall below what this target reached (203 on 2026-11-26).
 */
@Tag("integration")
class ConformanceIT {
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.conformance")
            .withLun(0, mib(256))
            .withReadOnlyLun(1, mib(16));
    /** tgtd needs about a minute here; a target that stops answering would otherwise hang the suite forever. */
    private static final Duration SUITE_TIMEOUT = Duration.ofMinutes(8);
    private static final Duration READ_ONLY_TIMEOUT = Duration.ofMinutes(1);
    /** The score this target reached; a drop means a command regressed into a skip. */
    private static final int PASSED_AT_LEAST = 203;

    @Test
    void iscsiTestCuRunsToTheEndWithoutCrashingTheServer(@TempDir Path workDir) throws IOException {
        Tools.require("iscsi-test-cu", "iscsi-inq");
        Path output = ItPaths.outputDir("conformance");
        Path log = output.resolve("iscsi-test-cu.log");
        Path readOnlyLog = output.resolve("iscsi-test-cu-readonly.log");
        String secondPortal = Loopback.HOST + ":" + Loopback.freePort();
        try (TargetUnderTest target = start(workDir, secondPortal)) {
            // -d allows the data-destroying tests; -v prints per test verdicts, which TestCuScore counts.
            List<String> argv = new ArrayList<>(List.of("iscsi-test-cu", "-d", "-v"));
            argv.add(target.url(DISK, 0).toString());
            if (target instanceof TestServer) { // tgtd listens on one portal: MultipathIO skips there
                argv.add(IscsiUrl.lun(secondPortal, DISK.name(), target.lunNumber(0)).toString());
            }
            Tools.Result suite = Tools.command(argv.toArray(String[]::new))
                    .timeout(SUITE_TIMEOUT).outputTo(log).run();
            Tools.Result readOnly = Tools.command("iscsi-test-cu", "-d", "-v", "-t", "ALL.ReadOnly",
                    target.url(DISK, 1).toString()).timeout(READ_ONLY_TIMEOUT).outputTo(readOnlyLog).run();

            TestCuScore score = TestCuScore.of(suite.output()).withTargetedRun(TestCuScore.of(readOnly.output()));
            Files.writeString(output.resolve("score.txt"),
                    score.summary() + "\n" + String.join("\n", score.notPassed()) + "\n", StandardCharsets.UTF_8);
            System.out.println("iscsi-test-cu against " + target.getClass().getSimpleName() + ": " + score.summary()
                    + " (logs " + log + ", " + readOnlyLog + ")");

            assertFalse(suite.timedOut() || readOnly.timedOut(), "iscsi-test-cu hung; " + suite.describe()
                    + "\n" + readOnly.describe() + "\n--- target log tail ---\n" + target.logTail(40));
            assertTrue(target.isAlive(), "the target died during iscsi-test-cu; log tail:\n" + target.logTail(60));
            // CUnit prints its run summary only when every suite has run.
            assertTrue(suite.output().contains("Run Summary"), "iscsi-test-cu stopped early: " + suite.describe());
            assertTrue(readOnly.output().contains("Run Summary"), "the ReadOnly run stopped early: "
                    + readOnly.describe());
            target.assertSucceeded(Tools.command("iscsi-inq", target.url(DISK, 0).toString())
                    .timeout(Duration.ofSeconds(30)).run());
            if (target instanceof TestServer) { // the bar is ours; -Djtarget.it.target=tgtd only reports tgt's score
                assertEquals(0, score.failed(), score.summary() + "\n" + String.join("\n", score.notPassed()));
                assertTrue(score.passed() >= PASSED_AT_LEAST, score.summary());
            }
        }
    }

    /** Our server with a second portal; tgtd (for comparison) as {@link TargetUnderTest#start} starts it. */
    private static TargetUnderTest start(Path workDir, String secondPortal) {
        if (!TargetUnderTest.selected().equals("jtarget")) {
            return TargetUnderTest.start("conformance", workDir, List.of(DISK));
        }
        DISK.createReadOnlyFiles(workDir);
        return TestServer.start("conformance",
                portal -> ConfigXml.render(List.of(portal, secondPortal), List.of(DISK), workDir));
    }
}
