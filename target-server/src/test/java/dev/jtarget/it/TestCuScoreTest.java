package dev.jtarget.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.it.TestCuScore.Outcome;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scorer against small logs in iscsi-test-cu's verbose format (lines taken from real runs). */
class TestCuScoreTest {

    private static final String LOG = """
            Suite: Inquiry
              Test: Standard ...passed
              Test: BlockLimits ...    [SKIPPED] Logical unit is fully provisioned. Skipping test
            passed
            Suite: GetLBAStatus
              Test: BeyondEol ...    [FAILED] GET_LBA_STATUS successful but should have failed with \
            ILLEGAL_REQUEST(0x05)/LBA_OUT_OF_RANGE(0x2100)
            FAILED
                1. test_get_lba_status_beyond_eol.c:38  - CU_ASSERT_EQUAL(_r,0)
            Suite: Reserve6
              Test: 2Initiators ...    Take out a RESERVE6 from the first initiator
                MODE SENSE should fail from the second initiator
                [FAILED] MODESENSE6 successful but should have failed with NO SENSE(0x00)/NO ASCQ(0x0000)
                RESERVE6 from the second initiator should still fail
            FAILED
                1. test_reserve6_2initiators.c:70  - CU_ASSERT_EQUAL(_r,0)
              Test: TargetWarmReset ...    [SKIPPED] Task Management function for WarmReset is not working
            FAILED
            Suite: Inquiry
              Test: Standard ...passed
            Suite: Read10
              Test: Simple ...passed
              Test: BeyondEol ...""";

    @Test
    void countsEachSuiteTestOnceByCUnitVerdictAndSkipRemark() {
        TestCuScore score = TestCuScore.of(LOG);

        assertEquals(Map.of(
                "Inquiry.Standard", Outcome.PASSED,
                "Inquiry.BlockLimits", Outcome.SKIPPED,
                "GetLBAStatus.BeyondEol", Outcome.FAILED,
                "Reserve6.2Initiators", Outcome.FAILED,
                "Reserve6.TargetWarmReset", Outcome.FAILED,
                "Read10.Simple", Outcome.PASSED,
                "Read10.BeyondEol", Outcome.FAILED), score.outcomes());
    }

    @Test
    void summaryAndListMatchTheReferenceToolsFormat() {
        TestCuScore score = TestCuScore.of(LOG);

        assertEquals("testcu: 2 passed, 4 failed, 1 skipped, 7 tests", score.summary());
        assertEquals(List.of(
                "  failed   GetLBAStatus.BeyondEol",
                "  skipped  Inquiry.BlockLimits",
                "  failed   Read10.BeyondEol",
                "  failed   Reserve6.2Initiators",
                "  failed   Reserve6.TargetWarmReset"), score.notPassed());
    }

    /** Where this scorer deliberately differs from ../shared/tools/testcu-score (see TestCuScore). */
    @Test
    void aSkipRemarkAfterTheVerdictBelongsToTheSuiteCleanupNotToTheLastTest() {
        TestCuScore score = TestCuScore.of("""
                Suite: TestUnitReady
                  Test: Simple ...passed    [SKIPPED] PERSISTENT RESERVE IN is not implemented.

                Suite: Unmap
                  Test: ZeroBlocks ...    [SKIPPED] LBPPB < 2. Skipping test
                passed    [SKIPPED] PERSISTENT RESERVE IN is not implemented.
                """);

        assertEquals(Map.of("TestUnitReady.Simple", Outcome.PASSED, "Unmap.ZeroBlocks", Outcome.SKIPPED),
                score.outcomes());
    }

    @Test
    void aTestTheRunEndedInCountsAsFailedSoACrashCannotRaiseTheScore() {
        TestCuScore score = TestCuScore.of("Suite: Read10\n  Test: Simple ...passed\n  Test: BeyondEol ...\n");

        assertEquals(Outcome.FAILED, score.outcomes().get("Read10.BeyondEol"));
        assertEquals(1, score.passed());
    }

    @Test
    void aTargetedRunReplacesSkipsButNeverAnEarlierVerdict() {
        TestCuScore main = TestCuScore.of("""
                Suite: ReadOnly
                  Test: ReadOnlySBC ...    [SKIPPED] Logical unit is not write-protected. Skipping test.
                passed
                Suite: Read10
                  Test: Simple ...FAILED
                  Test: BeyondEol ...passed""");
        TestCuScore targeted = TestCuScore.of("""
                Suite: ReadOnly
                  Test: ReadOnlySBC ...passed
                Suite: Read10
                  Test: Simple ...passed
                  Test: BeyondEol ...FAILED
                  Test: Flags ...passed""");

        assertEquals(Map.of(
                "ReadOnly.ReadOnlySBC", Outcome.PASSED,
                "Read10.Simple", Outcome.FAILED,
                "Read10.BeyondEol", Outcome.PASSED,
                "Read10.Flags", Outcome.PASSED), main.withTargetedRun(targeted).outcomes());
    }
}
