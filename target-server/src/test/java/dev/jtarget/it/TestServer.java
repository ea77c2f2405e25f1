package dev.jtarget.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Our server, started exactly as a user starts it: a configuration file and
 * {@code java ... dev.jtarget.server.Main serve --config FILE} in a separate process, on a free loopback port. Its
 * output goes to {@code target/it/<run>/server.log}, whose tail every failure message carries.
 */
final class TestServer implements TargetUnderTest {
    /** JVM start, config validation and binding; generous because other builds share the two cores. */
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    /** SIGTERM must shut the server down cleanly (issue 2) — well within this. */
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(15);

    private final Path config;
    private final Path log;
    private final int port;
    private final List<String> jvmOptions;
    private Process process;

    private TestServer(Path config, Path log, int port, List<String> jvmOptions) {
        this.config = config;
        this.log = log;
        this.port = port;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /**
     * Writes the config for {@code targets} (LUN files in {@code workDir}) and starts the server on a free port.
     *
     * @param runName names the output directory {@code target/it/<runName>/}
     */
    static TestServer start(String runName, Path workDir, List<TargetSpec> targets) {
        return start(runName, portal -> ConfigXml.render(portal, targets, workDir));
    }

    /**
     * Starts the server on a free port with the configuration {@code configForPortal} renders for its
     * {@code host:port}; for tests that need settings {@link ConfigXml} does not write (cache size, write-cache off).
     */
    static TestServer start(String runName, Function<String, String> configForPortal) {
        return start(runName, configForPortal, List.of());
    }

    /** Like {@link #start(String, Function)}, with extra JVM options for the server (a heap limit, a collector). */
    static TestServer start(String runName, Function<String, String> configForPortal, List<String> jvmOptions) {
        Path outputDir = ItPaths.outputDir(runName);
        int port = Loopback.freePort();
        Path config = outputDir.resolve("jtarget.xml");
        try {
            String portal = Loopback.HOST + ":" + port;
            Files.writeString(config, configForPortal.apply(portal), StandardCharsets.UTF_8);
            Files.deleteIfExists(outputDir.resolve("server.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestServer server = new TestServer(config, outputDir.resolve("server.log"), port, jvmOptions);
        server.launch();
        return server;
    }

    @Override
    public String host() {
        return Loopback.HOST;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public int lunNumber(int lunId) {
        return lunId;
    }

    /** Runs {@code jtarget status} against this server, as a user would from another shell. */
    Tools.Result status() {
        return jtarget("status");
    }

    /** Runs {@code jtarget ARGUMENTS... --config FILE} against this server, as a user would from another shell. */
    Tools.Result jtarget(String... arguments) {
        List<String> command = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"),
                "--enable-native-access=ALL-UNNAMED", "-Dlogback.configurationFile=logback.xml",
                "dev.jtarget.server.Main"));
        command.addAll(List.of(arguments));
        command.addAll(List.of("--config", config.toString()));
        return Tools.command(command.toArray(String[]::new)).timeout(STARTUP_TIMEOUT).run();
    }

    /** The server's process id, for reading its memory use from {@code /proc}. */
    long pid() {
        return process.pid();
    }

    @Override
    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public String logTail(int lines) {
        try {
            return Tools.tail(Files.readString(log, StandardCharsets.ISO_8859_1), lines);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** SIGKILL, as a crash or power loss would end it: no shutdown hook runs, nothing is flushed. */
    void kill() {
        process.destroyForcibly();
        awaitExit(SHUTDOWN_TIMEOUT);
    }

    /** Starts the server again on the same config and port after {@link #kill()} or {@link #close()}. */
    void restart() {
        if (process.isAlive()) {
            throw new IllegalStateException("the server is still running; kill() or close() it first");
        }
        launch();
    }

    /** SIGTERM and wait; a server that ignores it is SIGKILLed and the test fails, since users rely on SIGTERM. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!awaitExit(SHUTDOWN_TIMEOUT)) {
            process.destroyForcibly();
            awaitExit(SHUTDOWN_TIMEOUT);
            throw new AssertionError("the server did not exit within " + SHUTDOWN_TIMEOUT.toSeconds()
                    + " s of SIGTERM and was killed; log tail:\n" + logTail(40));
        }
        assertNoBufferLeaks();
    }

    /** Netty reports a buffer that was garbage-collected unreleased as an ERROR starting "LEAK:". */
    private void assertNoBufferLeaks() {
        try {
            List<String> leaks = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(line -> line.contains("LEAK:")).toList();
            if (!leaks.isEmpty()) {
                throw new AssertionError("the server leaked buffers (details in " + log + "): " + leaks);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch() {
        String java = java();
        // The test classpath also holds logback-test.xml, which Logback would prefer; the server must log as it does
        // for a user (INFO to the console, captured here), so the shipped logback.xml is named explicitly.
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        // Sampled leak detection with access records: affordable under real initiators' load, and over a whole test
        // run it catches a buffer leaked on any common path; close() fails the test on a report.
        command.add("-Dio.netty.leakDetection.level=advanced");
        command.addAll(jvmOptions);
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Dlogback.configurationFile=logback.xml",
                "dev.jtarget.server.Main", "serve", "--config", config.toString()));
        try {
            Files.writeString(log, "=== " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            process = Tools.killOnExit(new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        awaitListening();
    }

    /** The java binary running this JVM, for the server's. */
    private static String java() {
        return ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java binary runs this JVM"));
    }

    /** Polls the portal until it accepts a TCP connection; fails with the server's output if it exits or is late. */
    private void awaitListening() {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the server exited with " + process.exitValue() + " before listening on "
                        + portal() + "; log tail:\n" + logTail(60));
            }
            if (Loopback.accepts(port)) {
                return;
            }
            sleep(Duration.ofMillis(100));
        }
        process.destroyForcibly();
        awaitExit(SHUTDOWN_TIMEOUT);
        throw new AssertionError("the server did not listen on " + portal() + " within "
                + STARTUP_TIMEOUT.toSeconds() + " s; log tail:\n" + logTail(60));
    }

    private boolean awaitExit(Duration limit) {
        try {
            return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the server", e);
        }
    }
}
