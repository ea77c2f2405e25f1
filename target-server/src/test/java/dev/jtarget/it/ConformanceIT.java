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
 * offers on two portals, so the MultipathIO suite runs with one URL per portal. Some tests need a device type the
 * main LUN is not; they run again on their own against a LUN of the same target that is, and their verdicts replace
 * only the main run's skips ({@link TestCuScore#withTargetedRun}; {@code ../shared/tools/testcu-score} on the logs
 * concatenated counts the same here):
 * <ul>
 * <li>the ReadOnly suite needs a write-protected LUN, which the main run (it writes) cannot use;</li>
 * <li>five tests need more than one logical block per physical block: a "512e" LUN, 512-byte logical blocks on
 * 4096-byte physical ones. The main LUN reports one per physical block because libiscsi 1.19's
 * GetLBAStatus.UnmapSingle, which runs there, contradicts SBC-3 on such a LUN (see
 * {@code LogicalUnit#blocksPerPhysicalBlockExponent}).</li>
 * </ul>
 * The bar: the suite runs to the end, the server survives it, no test fails, and the pass count does not fall below
 * what this target reached (207 on 2026-11-26).
 */
@Tag("integration")
class ConformanceIT {
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.conformance")
            .withLun(0, mib(256))
            .withReadOnlyLun(1, mib(16))
            .withPhysicalBlockLun(2, mib(16), 4096);
    /** The tests that skip unless READ CAPACITY(16) reports more than one logical block per physical block. */
    private static final String PHYSICAL_BLOCK_TESTS = String.join(",", "ALL.CompareAndWrite.InvalidDataOutSize",
            "ALL.WriteSame10.InvalidDataOutSize", "ALL.WriteSame16.InvalidDataOutSize",
            "ALL.WriteSame10.UnmapUnaligned", "ALL.WriteSame16.UnmapUnaligned");
    /** tgtd needs about a minute here; a target that stops answering would otherwise hang the suite forever. */
    private static final Duration SUITE_TIMEOUT = Duration.ofMinutes(8);
    private static final Duration TARGETED_RUN_TIMEOUT = Duration.ofMinutes(1);
    /** The score this target reached; a drop means a command regressed into a skip. */
    private static final int PASSED_AT_LEAST = 208;

    @Test
    void iscsiTestCuRunsToTheEndWithoutCrashingTheServer(@TempDir Path workDir) throws IOException {
        Tools.require("iscsi-test-cu", "iscsi-inq");
        Path output = ItPaths.outputDir("conformance");
        Path log = output.resolve("iscsi-test-cu.log");
        Path readOnlyLog = output.resolve("iscsi-test-cu-readonly.log");
        Path physicalBlockLog = output.resolve("iscsi-test-cu-physical-block.log");
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
            Tools.Result readOnly = targetedRun(target.url(DISK, 1), "ALL.ReadOnly", readOnlyLog);
            Tools.Result physicalBlock = targetedRun(target.url(DISK, 2), PHYSICAL_BLOCK_TESTS, physicalBlockLog);

            TestCuScore score = TestCuScore.of(suite.output())
                    .withTargetedRun(TestCuScore.of(readOnly.output()))
                    .withTargetedRun(TestCuScore.of(physicalBlock.output()));
            Files.writeString(output.resolve("score.txt"),
                    score.summary() + "\n" + String.join("\n", score.notPassed()) + "\n", StandardCharsets.UTF_8);
            System.out.println("iscsi-test-cu against " + target.getClass().getSimpleName() + ": " + score.summary()
                    + " (logs " + log + ", " + readOnlyLog + ", " + physicalBlockLog + ")");

            for (Tools.Result run : List.of(suite, readOnly, physicalBlock)) {
                assertFalse(run.timedOut(), "iscsi-test-cu hung; " + run.describe()
                        + "\n--- target log tail ---\n" + target.logTail(40));
            }
            assertTrue(target.isAlive(), "the target died during iscsi-test-cu; log tail:\n" + target.logTail(60));
            for (Tools.Result run : List.of(suite, readOnly, physicalBlock)) {
                // CUnit prints its run summary only when every suite it was given has run.
                assertTrue(run.output().contains("Run Summary"), "iscsi-test-cu stopped early: " + run.describe());
            }
            target.assertSucceeded(Tools.command("iscsi-inq", target.url(DISK, 0).toString())
                    .timeout(Duration.ofSeconds(30)).run());
            if (target instanceof TestServer) { // the bar is ours; -Djtarget.it.target=tgtd only reports tgt's score
                assertEquals(0, score.failed(), score.summary() + "\n" + String.join("\n", score.notPassed()));
                assertTrue(score.passed() >= PASSED_AT_LEAST, score.summary());
            }
        }
    }

    /** {@code tests} (iscsi-test-cu's -t: FAMILY.SUITE.TEST, comma-separated) against the LUN at {@code url}. */
    private static Tools.Result targetedRun(IscsiUrl url, String tests, Path log) {
        return Tools.command("iscsi-test-cu", "-d", "-v", "-t", tests, url.toString())
                .timeout(TARGETED_RUN_TIMEOUT).outputTo(log).run();
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
