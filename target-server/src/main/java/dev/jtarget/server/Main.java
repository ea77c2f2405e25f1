package dev.jtarget.server;

import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.ByteSize;
import dev.jtarget.config.ConfigException;
import dev.jtarget.config.ConfigLoader;
import dev.jtarget.config.ConfigProblem;
import dev.jtarget.config.LunConfig;
import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.ServerConfig;
import dev.jtarget.config.TargetConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@code jtarget} command line: {@code serve}, {@code check-config} and {@code --help}. */
public final class Main {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;

    static final String USAGE = """
            Usage: jtarget <command> [options]

            Commands:
              serve [--config FILE]        run the iSCSI target server in the foreground until SIGTERM
                                           or Ctrl-C (default FILE: conf/jtarget.xml)
              check-config --config FILE   validate a configuration file without starting anything
              test                         (./jtarget only) install the test tools, run every test
              --help                       show this help

            The configuration format is documented in conf/jtarget.xsd; conf/examples/ has samples.
            Exit status: 0 success, 1 invalid configuration or server failure, 2 usage error.
            """;

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command and returns the process exit status; {@code serve} returns once the server has stopped. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine commandLine;
        try {
            commandLine = CommandLine.parse(args);
        } catch (CommandLine.UsageException e) {
            err.println("jtarget: " + e.getMessage());
            err.println("Run 'jtarget --help' for usage.");
            return EXIT_USAGE;
        }
        return switch (commandLine.command()) {
            case HELP -> {
                out.print(USAGE);
                yield EXIT_OK;
            }
            case CHECK_CONFIG -> checkConfig(commandLine.config(), out, err);
            case SERVE -> serve(commandLine.config(), err);
        };
    }

    private static int checkConfig(Path file, PrintStream out, PrintStream err) {
        try {
            ServerConfig config = ConfigLoader.load(file);
            out.println(file + ": OK");
            out.println(summary(config));
            return EXIT_OK;
        } catch (ConfigException e) {
            printProblems(file, e.problems(), err);
            return EXIT_FAILURE;
        }
    }

    private static int serve(Path file, PrintStream err) {
        ServerConfig config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            printProblems(file, e.problems(), err);
            err.println("jtarget: not starting; nothing was changed");
            return EXIT_FAILURE;
        }
        log.info("Configuration {}: {}", file, summary(config));
        TargetServer server;
        try {
            server = TargetServer.start(config);
        } catch (Exception e) {
            log.error("Cannot start: {}", e.getMessage(), e);
            return EXIT_FAILURE;
        }
        Thread hook = new Thread(() -> shutDownOnSignal(server), "jtarget-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            server.awaitClosed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
            return EXIT_FAILURE;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shutdownInProgress) {
            // A signal started the shutdown; the hook finishes it and sets the exit status.
        }
        return EXIT_OK;
    }

    /**
     * Runs in the JVM's shutdown (SIGTERM, SIGINT): closes the server gracefully. After a signal the JVM would report
     * 128+signal, but a shutdown that was asked for and completed is a success, so the hook halts with status 0 (or 1
     * if closing failed). Halting skips nothing of ours: this is the only hook, and logging is synchronous.
     */
    private static void shutDownOnSignal(TargetServer server) {
        log.info("Shutting down");
        int status = EXIT_OK;
        try {
            server.close();
            server.awaitClosed();
            log.info("Stopped");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = EXIT_FAILURE;
        } catch (RuntimeException e) {
            log.error("Shutdown failed: {}", e.getMessage(), e);
            status = EXIT_FAILURE;
        }
        Runtime.getRuntime().halt(status);
    }

    private static void printProblems(Path file, List<ConfigProblem> problems, PrintStream err) {
        problems.forEach(err::println);
        err.println(file + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
    }

    /** One line: {@code 1 portal (127.0.0.1:3260), 1 target, 1 LUN (1 GiB), cache 256 MiB with 2 flushers}. */
    static String summary(ServerConfig config) {
        List<LunConfig> luns = config.targets().stream().map(TargetConfig::luns).flatMap(List::stream).toList();
        long totalBytes = luns.stream().mapToLong(lun -> sizeBytes(lun.backend())).sum();
        String portals = config.portals().stream().map(PortalConfig::toString).collect(Collectors.joining(", "));
        return count(config.portals().size(), "portal") + " (" + portals + "), "
                + count(config.targets().size(), "target") + ", "
                + count(luns.size(), "LUN") + " (" + ByteSize.format(totalBytes) + "), "
                + "cache " + ByteSize.format(config.cache().arenaBytes()) + " with "
                + count(config.cache().flushers(), "flusher");
    }

    private static long sizeBytes(BackendConfig backend) {
        return switch (backend) {
            case BackendConfig.File file -> file.sizeBytes();
            case BackendConfig.Memory memory -> memory.sizeBytes();
        };
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
