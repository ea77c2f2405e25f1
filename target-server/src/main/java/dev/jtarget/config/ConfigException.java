package dev.jtarget.config;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** A configuration file that cannot be used; {@link #problems()} lists everything found wrong, in file order. */
public final class ConfigException extends Exception {

    private final transient List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(describe(problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = sorted(problems);
    }

    /** Every problem, ordered by line and column so the list reads top to bottom like the file. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static List<ConfigProblem> sorted(List<ConfigProblem> problems) {
        return problems.stream()
                .sorted(Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column))
                .toList();
    }

    private static String describe(List<ConfigProblem> problems) {
        return sorted(problems).stream().map(ConfigProblem::toString).collect(Collectors.joining("\n"));
    }
}
