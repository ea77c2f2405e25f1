package dev.jtarget.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the external programs the integration tests drive (libiscsi's tools, qemu-img, qemu-io, the VM harness) with a
 * hard timeout. A program that outlives its timeout is killed together with every process it started, so a hung
 * initiator fails one test instead of the whole build.
 */
final class Tools {
    /** How long a terminated process tree gets to exit after SIGTERM before it is SIGKILLed. */
    private static final Duration TERMINATION_GRACE = Duration.ofSeconds(5);

    /** Long-running processes (targets) to kill if the test JVM exits while they run, e.g. a close() never reached. */
    private static final Set<Process> KILL_ON_EXIT = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> KILL_ON_EXIT.forEach(Process::destroyForcibly)));
    }

    private Tools() {
    }

    /** Makes sure {@code process} does not outlive the test JVM. */
    static Process killOnExit(Process process) {
        KILL_ON_EXIT.add(process);
        process.onExit().thenAccept(KILL_ON_EXIT::remove);
        return process;
    }

    /** Skips the calling test unless every program is on the PATH (scripts/install-test-deps.sh installs them). */
    static void require(String... programs) {
        for (String program : programs) {
            assumeTrue(onPath(program), () -> "`" + program + "` is not on the PATH; scripts/install-test-deps.sh "
                    + "installs the initiator tools (libiscsi-bin, qemu-utils, qemu-block-extra)");
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** Starts describing a command line; {@link Command#run()} executes it. */
    static Command command(String... argv) {
        return new Command(List.of(argv));
    }

    /** A command line with its environment, timeout and output file. */
    static final class Command {
        private final List<String> argv;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Duration timeout = Duration.ofSeconds(60);
        private Path outputFile;

        private Command(List<String> argv) {
            this.argv = argv;
        }

        Command env(String name, String value) {
            environment.put(name, value);
            return this;
        }

        Command timeout(Duration limit) {
            this.timeout = limit;
            return this;
        }

        /** Keeps the output in {@code file} (for logs worth reading after the run); otherwise a temp file is used. */
        Command outputTo(Path file) {
            this.outputFile = file;
            return this;
        }

        /** Runs to completion or until the timeout; stdout and stderr merged, in the order the program wrote them. */
        Result run() {
            Path output = outputFile;
            boolean temporary = output == null;
            try {
                if (temporary) {
                    output = Files.createTempFile("jtarget-it-", ".out");
                } else {
                    Files.createDirectories(output.toAbsolutePath().getParent());
                }
                ProcessBuilder builder = new ProcessBuilder(argv)
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                builder.environment().putAll(environment);
                long started = System.nanoTime();
                Process process = builder.start();
                boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!finished) {
                    killTree(process.toHandle());
                }
                Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
                String text = Files.readString(output, StandardCharsets.ISO_8859_1);
                return new Result(argv, finished ? process.exitValue() : -1, text, !finished, elapsed);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run " + argv, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + argv, e);
            } finally {
                if (temporary && output != null) {
                    output.toFile().delete();
                }
            }
        }
    }

    /**
     * The outcome of one run. The output is decoded as ISO-8859-1 so that raw bytes some tools print (iscsi-inq prints
     * binary NAA designators as characters) survive unchanged.
     *
     * @param exitCode the program's exit status, -1 when it was killed for exceeding its timeout
     */
    record Result(List<String> command, int exitCode, String output, boolean timedOut, Duration elapsed) {

        boolean succeeded() {
            return !timedOut && exitCode == 0;
        }

        /** Group 1 of the first match of {@code regex} (multi-line mode); fails with the whole story if none. */
        String find(String regex) {
            Matcher matcher = Pattern.compile(regex, Pattern.MULTILINE).matcher(output);
            if (!matcher.find()) {
                throw new AssertionError("no match for /" + regex + "/ in the output of " + describe());
            }
            return matcher.group(1);
        }

        /** Group 1 of every match of {@code regex} (multi-line mode), in output order. */
        List<String> findAll(String regex) {
            return Pattern.compile(regex, Pattern.MULTILINE).matcher(output).results().map(m -> m.group(1)).toList();
        }

        /** The command, how it ended and the last lines of its output: the message a failing assertion needs. */
        String describe() {
            String ending = timedOut ? "was killed after " + elapsed.toSeconds() + " s (timeout)"
                    : "exited with " + exitCode + " after " + elapsed.toMillis() + " ms";
            return String.join(" ", command) + " " + ending + "; output:\n" + tail(output, 60);
        }
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /**
     * SIGTERM to the process and everything it started, then SIGKILL to whatever is still alive after a grace period.
     * The descendants are collected before the parent dies: once it is gone they are re-parented and cannot be found.
     */
    static void killTree(ProcessHandle root) {
        List<ProcessHandle> tree = new ArrayList<>(root.descendants().toList());
        tree.add(root);
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TERMINATION_GRACE.toNanos();
        for (ProcessHandle process : tree) {
            long remaining = deadline - System.nanoTime();
            try {
                process.onExit().get(Math.max(0, remaining), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException stillRunning) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
