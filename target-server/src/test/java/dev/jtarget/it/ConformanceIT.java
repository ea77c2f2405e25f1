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
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's conformance suite, destructive tests included, against a file LUN. The log and the score are kept in
 * {@code target/it/conformance/}. The bar: the suite runs to the end, the server survives it, no test fails, and the
 * pass count does not fall below what this target reached (192 on 2026-11-26, one portal).
 */
@Tag("integration")
class ConformanceIT {
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.conformance")
            .withLun(0, mib(256));
    /** tgtd needs about a minute here; a target that stops answering would otherwise hang the suite forever. */
    private static final Duration SUITE_TIMEOUT = Duration.ofMinutes(8);
    /** The score this target reached; a drop means a command regressed into a skip. */
    private static final int PASSED_AT_LEAST = 192;

    @Test
    void iscsiTestCuRunsToTheEndWithoutCrashingTheServer(@TempDir Path workDir) throws IOException {
        Tools.require("iscsi-test-cu", "iscsi-inq");
        Path output = ItPaths.outputDir("conformance");
        Path log = output.resolve("iscsi-test-cu.log");
        try (TargetUnderTest target = TargetUnderTest.start("conformance", workDir, List.of(DISK))) {
            String url = target.url(DISK, 0).toString();

            // -d allows the data-destroying tests; -v prints per test verdicts, which TestCuScore counts.
            Tools.Result suite = Tools.command("iscsi-test-cu", "-d", "-v", url)
                    .timeout(SUITE_TIMEOUT).outputTo(log).run();

            TestCuScore score = TestCuScore.of(suite.output());
            Files.writeString(output.resolve("score.txt"),
                    score.summary() + "\n" + String.join("\n", score.notPassed()) + "\n", StandardCharsets.UTF_8);
            System.out.println("iscsi-test-cu against " + target.getClass().getSimpleName() + ": " + score.summary()
                    + " (log " + log + ")");

            assertFalse(suite.timedOut(), "iscsi-test-cu hung; " + suite.describe()
                    + "\n--- target log tail ---\n" + target.logTail(40));
            assertTrue(target.isAlive(), "the target died during iscsi-test-cu; log tail:\n" + target.logTail(60));
            // CUnit prints its run summary only when every suite has run.
            assertTrue(suite.output().contains("Run Summary"), "iscsi-test-cu stopped early: " + suite.describe());
            target.assertSucceeded(Tools.command("iscsi-inq", url).timeout(Duration.ofSeconds(30)).run());
            if (target instanceof TestServer) { // the bar is ours; -Djtarget.it.target=tgtd only reports tgt's score
                assertEquals(0, score.failed(), score.summary() + "\n" + String.join("\n", score.notPassed()));
                assertTrue(score.passed() >= PASSED_AT_LEAST, score.summary());
            }
        }
    }
}
