package dev.jtarget.testing;

import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.LongStream;

/**
 * Runs property cases from reproducible seeds: case {@code i} of a property uses seed {@code base + i}. There is no
 * shrinking, so a failure names its seed and the whole generated input; {@code -Djtarget.seed=N} (with
 * {@code -Dtest=Class#method}) runs just that seed again.
 */
public final class SeededCases {
    /** System property that narrows every seeded property to one seed, to replay a failure. */
    public static final String REPLAY_PROPERTY = "jtarget.seed";

    private SeededCases() {
    }

    /** The seeds of {@code count} cases starting at {@code base}, or only the replayed seed if one is set. */
    public static LongStream seeds(long base, int count) {
        String replay = System.getProperty(REPLAY_PROPERTY);
        return replay == null || replay.isBlank() ? LongStream.range(base, base + count)
                : LongStream.of(Long.parseLong(replay.trim()));
    }

    /**
     * Generates the input of the case with {@code seed} and checks {@code property} on it; any failure is rethrown
     * with the seed and the input in its message.
     */
    public static <T> void check(long seed, Function<Gen, T> generate, Consumer<T> property) {
        T input = generate.apply(new Gen(seed));
        try {
            property.accept(input);
        } catch (AssertionError | RuntimeException failure) {
            throw new AssertionError("case seed " + seed + " failed (replay with -D" + REPLAY_PROPERTY + "=" + seed
                    + "): " + failure.getMessage() + "\n  input: " + input, failure);
        }
    }
}
