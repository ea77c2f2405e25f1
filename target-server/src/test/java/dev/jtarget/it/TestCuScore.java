package dev.jtarget.it;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The score of a verbose run of libiscsi's conformance suite ({@code iscsi-test-cu -v}), counted the way
 * {@code ../shared/tools/testcu-score} counts so that numbers from either agree. Each {@code Suite.Test} counts
 * once, although the suite runs many tests again under several families:
 * <ul>
 * <li>passed: CUnit reported it passed and it did not skip itself;</li>
 * <li>skipped: it printed {@code [SKIPPED]} (feature not implemented, or not applicable) and did not fail;</li>
 * <li>failed: CUnit reported it {@code FAILED}, or the log ends inside it (the target crashed or hung).</li>
 * </ul>
 */
record TestCuScore(Map<String, Outcome> outcomes) {

    enum Outcome { PASSED, FAILED, SKIPPED }

    private static final Pattern BLOCK_START = Pattern.compile("(?m)^(?=Suite: |\\s+Test: )");
    private static final Pattern SUITE = Pattern.compile("Suite: (\\S+)");
    private static final Pattern TEST = Pattern.compile("\\s+Test: (\\S+) \\.\\.\\.(.*)", Pattern.DOTALL);
    /** Tests print their own "[FAILED] why" / "[SKIPPED] why" lines; CUnit's verdict is the bare word. */
    private static final Pattern TEST_REMARK = Pattern.compile("\\[(SKIPPED|FAILED)\\][^\\n]*");
    private static final Pattern VERDICT = Pattern.compile("\\b(passed|FAILED)\\b");

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

    private static Outcome outcomeOf(String body) {
        Matcher verdict = VERDICT.matcher(TEST_REMARK.matcher(body).replaceAll(""));
        if (!verdict.find() || verdict.group(1).equals("FAILED")) {
            return Outcome.FAILED;
        }
        return body.contains("[SKIPPED]") ? Outcome.SKIPPED : Outcome.PASSED;
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
