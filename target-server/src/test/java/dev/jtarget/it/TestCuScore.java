package dev.jtarget.it;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The score of a verbose run of libiscsi's conformance suite ({@code iscsi-test-cu -v}), counted the way
 * {@code ../shared/tools/testcu-score} counts. Each {@code Suite.Test} counts once, although the suite runs many tests
 * again under several families:
 * <ul>
 * <li>passed: CUnit reported it passed and it did not skip itself;</li>
 * <li>skipped: it printed {@code [SKIPPED]} (feature not implemented, or not applicable) and did not fail;</li>
 * <li>failed: CUnit reported it {@code FAILED}, or the log ends inside it (the target crashed or hung).</li>
 * </ul>
 * One deliberate difference: a {@code [SKIPPED]} remark counts only when it comes before CUnit's verdict. CUnit
 * prints the verdict after the test and its teardown, so a remark after it belongs to the suite's cleanup, which
 * probes PERSISTENT RESERVE IN after the last test of every suite; the reference tool counts that last test as
 * skipped on any target without persistent reservations, although it passed.
 */
record TestCuScore(Map<String, Outcome> outcomes) {

    enum Outcome { PASSED, FAILED, SKIPPED }

    private static final Pattern BLOCK_START = Pattern.compile("(?m)^(?=Suite: |\\s+Test: )");
    private static final Pattern SUITE = Pattern.compile("Suite: (\\S+)");
    private static final Pattern TEST = Pattern.compile("\\s+Test: (\\S+) \\.\\.\\.(.*)", Pattern.DOTALL);
    /**
     * In a test's output: its own remarks ("[FAILED] why", "[SKIPPED] why", to the end of the line, so a word in
     * the reason is not taken for a verdict) and CUnit's verdict, the bare word.
     */
    private static final Pattern REMARK_OR_VERDICT =
            Pattern.compile("\\[(SKIPPED|FAILED)\\][^\\n]*|\\b(passed|FAILED)\\b");

    TestCuScore {
        outcomes = Collections.unmodifiableMap(new TreeMap<>(outcomes));
    }

    static TestCuScore of(String log) {
        Map<String, Outcome> outcomes = new TreeMap<>();
        String suite = null;
        for (String block : BLOCK_START.split(log)) {
            Matcher suiteStart = SUITE.matcher(block);
            if (suiteStart.lookingAt()) {
                suite = suiteStart.group(1);
                continue;
            }
            Matcher test = TEST.matcher(block);
            if (test.lookingAt()) {
                outcomes.put(suite + "." + test.group(1), outcomeOf(test.group(2)));
            }
        }
        return new TestCuScore(outcomes);
    }

    /**
     * This score with the verdicts of {@code targeted}, a run of some tests against a configuration they need (the
     * ReadOnly suite on a write-protected LUN): a targeted verdict replaces this run's skip of the same test, never
     * its pass or failure, so a second run cannot hide a failure of the first.
     */
    TestCuScore withTargetedRun(TestCuScore targeted) {
        Map<String, Outcome> merged = new TreeMap<>(outcomes);
        targeted.outcomes.forEach((test, outcome) ->
                merged.merge(test, outcome, (first, later) -> first == Outcome.SKIPPED ? later : first));
        return new TestCuScore(merged);
    }

    private static Outcome outcomeOf(String body) {
        boolean skippedItself = false;
        Matcher token = REMARK_OR_VERDICT.matcher(body);
        while (token.find()) {
            if (token.group(2) != null) {
                if (token.group(2).equals("FAILED")) {
                    return Outcome.FAILED;
                }
                return skippedItself ? Outcome.SKIPPED : Outcome.PASSED;
            }
            skippedItself |= token.group(1).equals("SKIPPED");
        }
        return Outcome.FAILED; // no verdict: the run ended inside this test
    }

    int count(Outcome outcome) {
        return (int) outcomes.values().stream().filter(outcome::equals).count();
    }

    int passed() {
        return count(Outcome.PASSED);
    }

    int failed() {
        return count(Outcome.FAILED);
    }

    int skipped() {
        return count(Outcome.SKIPPED);
    }

    /** The reference tool's summary line: {@code testcu: P passed, F failed, S skipped, N tests}. */
    String summary() {
        return "testcu: " + passed() + " passed, " + failed() + " failed, " + skipped() + " skipped, "
                + outcomes.size() + " tests";
    }

    /** Every test that did not pass, as the reference tool's {@code --list} prints them, sorted by name. */
    List<String> notPassed() {
        return outcomes.entrySet().stream()
                .filter(e -> e.getValue() != Outcome.PASSED)
                .map(e -> String.format("  %-8s %s", e.getValue().name().toLowerCase(java.util.Locale.ROOT),
                        e.getKey()))
                .toList();
    }
}
