package dev.jtarget.it.backends;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The programs these tests drive (NBD servers, qemu-img, qemu-io, our own peer): finding them (a test skips with the
 * package to install when one is missing), running them with their output in a log file, waiting until a server
 * listens, and killing it as a crash would.
 */
final class Processes {
    /** Generous: other builds share the two cores, and a JVM takes seconds to start under load. */
    private static final long READY_TIMEOUT_MILLIS = 30_000;

    private Processes() {
    }

    /** Skips the calling test unless {@code tool} is on the PATH (or in /usr/sbin, /sbin). */
    static void assumeInstalled(String tool, String debianPackage) {
        assumeTrue(find(tool) != null, tool + " is not installed (apt-get install " + debianPackage
                + ", or run scripts/install-test-deps.sh as root): skipping");
    }

    private static Path find(String tool) {
        List<String> directories = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "")
                .split(File.pathSeparator)));
        directories.addAll(List.of("/usr/sbin", "/sbin"));
        for (String directory : directories) {
            Path candidate = Path.of(directory.isEmpty() ? "." : directory, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code command} (its first word looked up like a shell would) with its output appended to {@code log}. */
    static Process start(Path log, String... command) throws IOException {
        Files.writeString(log, "=== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return launch(log, command);
    }

    private static Process launch(Path output, String... command) throws IOException {
        List<String> resolved = new ArrayList<>(List.of(command));
        Path program = find(command[0]);
        if (program != null) {
            resolved.set(0, program.toString());
        }
        return new ProcessBuilder(resolved).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
    }

    /** As {@link #start}, for a server: killed when the test JVM exits, so a dying test leaves no port taken. */
    static Process startServer(Path log, String... command) throws IOException {
        Process process = start(log, command);
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        return process;
    }

    /** The exit code and output of a command run to completion. */
    record Result(int exitCode, String output) {
    }

    /**
     * Runs {@code command} to completion (at most {@code timeoutSeconds}) and returns its exit code and output, which
     * is also appended to {@code log}.
     */
    static Result run(Path log, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path output = Files.createTempFile(log.getParent(), "run-", ".log");
        Process process = launch(output, command);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s: "
                    + Files.readString(output));
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        Files.writeString(log, "=== " + String.join(" ", command) + "\n" + text, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Files.delete(output);
        return new Result(process.exitValue(), text);
    }

    /** Waits until something accepts TCP connections on the loopback {@code port}; fails if {@code process} exits. */
    static void awaitListening(ProcessHandle process, int port, Path log) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("the server exited before listening on " + port + ": " + Files.readString(log));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("nothing listens on " + port + " after " + READY_TIMEOUT_MILLIS
                            + " ms: " + Files.readString(log), notYet);
                }
            }
            Thread.sleep(50);
        }
    }

    /** SIGKILL, as in a crash: no shutdown hook, no flush. */
    static void kill(Process process) throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("pid " + process.pid() + " survived SIGKILL for 30 s");
        }
    }

    /**
     * SIGKILL for a process that is not our child (a daemon that forked). Polled rather than awaited through
     * {@code onExit()}, whose completion needs a free thread of the common fork-join pool.
     */
    static void kill(ProcessHandle process) throws InterruptedException {
        process.destroyForcibly();
        long deadline = System.currentTimeMillis() + 30_000;
        while (process.isAlive()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("pid " + process.pid() + " survived SIGKILL for 30 s");
            }
            Thread.sleep(20);
        }
    }
}
