package dev.jtarget.backend.nbd;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Third-party NBD tools run by the interop tests: finding them (tests skip with a clear message when one is missing),
 * starting them with their output in a log file, waiting until they listen, killing them.
 */
final class ExternalProcess implements AutoCloseable {
    private static final long READY_TIMEOUT_MILLIS = 10_000;

    /** The server itself: the started process, or the daemon it forked. */
    private final ProcessHandle process;
    private final Path log;

    private ExternalProcess(ProcessHandle process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Skips the calling test unless {@code tool} is on the PATH (or in /usr/sbin, /sbin). */
    static void assumeInstalled(String tool, String debianPackage) {
        assumeTrue(find(tool) != null, tool + " is not installed (apt-get install " + debianPackage
                + "): skipping this interop test");
    }

    private static Path find(String tool) {
        List<String> directories = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(
                File.pathSeparator)));
        directories.addAll(List.of("/usr/sbin", "/sbin"));
        for (String directory : directories) {
            Path candidate = Path.of(directory.isEmpty() ? "." : directory, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Starts {@code command} with stdout and stderr appended to {@code log}. */
    static ExternalProcess start(Path log, String... command) throws IOException {
        Process process = launch(log, command);
        return new ExternalProcess(process.toHandle(), log);
    }

    private static Process launch(Path log, String... command) throws IOException {
        List<String> resolved = new ArrayList<>(List.of(command));
        resolved.set(0, find(command[0]).toString());
        return new ProcessBuilder(resolved).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Starts a server that forks into the background and writes its process id to {@code pidFile}. */
    static ExternalProcess startDaemon(Path log, Path pidFile, String... command) throws IOException,
            InterruptedException {
        Result launched = run(log, command);
        if (launched.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + launched.output());
        }
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError(command[0] + " wrote no pid file: " + launched.output());
            }
            Thread.sleep(20);
        }
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        return new ExternalProcess(ProcessHandle.of(pid).orElseThrow(
                () -> new AssertionError(command[0] + " (pid " + pid + ") is already gone")), log);
    }

    /** Runs {@code command} to completion (at most a minute) and returns its exit code and output. */
    static Result run(Path log, String... command) throws IOException, InterruptedException {
        Process process = launch(log, command);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within a minute");
        }
        return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    record Result(int exitCode, String output) {
    }

    ExternalProcess awaitTcp(int port) throws IOException, InterruptedException {
        awaitReady(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            }
        });
        return this;
    }

    ExternalProcess awaitUnix(Path socket) throws IOException, InterruptedException {
        awaitReady(() -> {
            try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                return channel.isConnected();
            }
        });
        return this;
    }

    private interface Probe {
        boolean ready() throws IOException;
    }

    private void awaitReady(Probe probe) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        IOException lastFailure = null;
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("the NBD server exited: " + logText());
            }
            try {
                if (probe.ready()) {
                    return;
                }
            } catch (IOException notYet) {
                lastFailure = notYet;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the NBD server is not listening after " + READY_TIMEOUT_MILLIS + " ms: "
                        + logText(), lastFailure);
            }
            Thread.sleep(20);
        }
    }

    String logText() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** SIGKILL: the peer dies without a word, as in a crash. */
    void kill() {
        process.destroyForcibly();
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("pid " + process.pid() + " survived SIGKILL", e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }
}
