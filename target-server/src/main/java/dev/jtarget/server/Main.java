package dev.jtarget.server;

import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.ByteSize;
import dev.jtarget.config.ConfigException;
import dev.jtarget.config.ConfigLoader;
import dev.jtarget.config.ConfigProblem;
import dev.jtarget.config.LunConfig;
import dev.jtarget.config.PeerConfig;
import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.SecretFilePermissions;
import dev.jtarget.config.ServerConfig;
import dev.jtarget.config.TargetConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code jtarget} command line: {@code serve}, {@code check-config}, {@code status}, {@code image},
 * {@code peer} and {@code --help}.
 */
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
              status [--config FILE]       print the write-back cache statistics of the server running
                                           on FILE (default conf/jtarget.xml): arena use, dirty bytes,
                                           flush rate, absorbed overwrites, throttled writers, errors;
                                           the image read caches: bytes read, hits, misses
            @IMAGE@
              peer --export NAME=PATH[,size=SIZE][,ro] ... [--listen ADDRESS:PORT]
                                           run only the NBD peer server in the foreground until SIGTERM:
                                           serve each file or block device PATH as export NAME (a file
                                           is created sparse at SIZE when absent; ro: read-only) on
                                           ADDRESS:PORT (default 127.0.0.1:10809; NBD has no
                                           authentication, so keep it on a private network)
              test                         (./jtarget only) install the test tools, run every test
              --help                       show this help

            The image commands ask the server running on FILE (default conf/jtarget.xml) to do the
            operation: it alone knows who is logged in. With no server running they do nothing.
            The configuration format is documented in conf/jtarget.xsd; conf/examples/ has samples.
            Exit status: 0 success, 1 invalid configuration, failed operation or server failure,
            2 usage error.
            """.replace("@IMAGE@\n", ImageRequest.USAGE);

    private static final Logger log = LoggerFactory.getLogger(Main.class);
    /** The server answers after {@link AdminEndpoint#RATE_WINDOW}; a busy server gets some seconds more. */
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(10);
    /** A promotion copies a whole disk; an hour covers some terabytes at disk speed. */
    private static final Duration IMAGE_TIMEOUT = Duration.ofHours(1);

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
            case STATUS -> request(commandLine.config(), "status", STATUS_TIMEOUT, out, err);
            case IMAGE -> request(commandLine.config(), commandLine.image().orElseThrow().line(), IMAGE_TIMEOUT,
                    out, err);
            case PEER -> peer(commandLine.peer().orElseThrow());
        };
    }

    private static int checkConfig(Path file, PrintStream out, PrintStream err) {
        try {
            ServerConfig config = ConfigLoader.load(file);
            out.println(file + ": OK");
            out.println(summary(config));
            SecretFilePermissions.warning(config).ifPresent(warning -> err.println("jtarget: warning: " + warning));
            return EXIT_OK;
        } catch (ConfigException e) {
            printProblems(file, e.problems(), err);
            return EXIT_FAILURE;
        }
    }

    /**
     * Sends {@code request} to the server started on {@code file} over the admin socket in its state directory and
     * prints its answer: the text on standard output when it succeeded, on standard error when it failed.
     */
    private static int request(Path file, String request, Duration timeout, PrintStream out, PrintStream err) {
        Path socket = AdminEndpoint.socketPath(TargetServer.stateDirectory(file, Path.of("").toAbsolutePath()));
        AdminEndpoint.Answer answer;
        try {
            answer = AdminEndpoint.request(socket, request, timeout);
        } catch (IOException e) {
            err.println("jtarget: no " + (request.equals("status") ? "status" : "answer") + " from " + socket
                    + " (is 'jtarget serve --config " + file + "' running?): " + e.getMessage());
            return EXIT_FAILURE;
        }
        if (answer.succeeded()) {
            out.print(answer.text());
            return EXIT_OK;
        }
        err.print("jtarget: " + answer.text());
        return EXIT_FAILURE;
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
        SecretFilePermissions.warning(config).ifPresent(warning -> log.warn("{}", warning));
        List<Service> services = new ArrayList<>();
        try {
            // The peer first: a LUN of this very configuration may keep its data on it.
            if (config.peer().isPresent()) {
                PeerServer peer = PeerServer.start(config.peer().get(), config.baseDir());
                services.add(new Service(peer::close, peer::awaitClosed));
            }
            TargetServer server = TargetServer.start(config);
            // Stopped before the peer: the target's last flush may go to it.
            services.addFirst(new Service(server::close, server::awaitClosed));
        } catch (Exception e) {
            log.error("Cannot start: {}", e.getMessage(), e);
            services.forEach(service -> service.stop().run());
            return EXIT_FAILURE;
        }
        return runUntilSignal(services);
    }

    private static int peer(PeerConfig config) {
        log.info("NBD peer on {} with {}", config.listen(), count(config.exports().size(), "export"));
        PeerServer peer;
        try {
            peer = PeerServer.start(config, Path.of("").toAbsolutePath());
        } catch (Exception e) {
            log.error("Cannot start: {}", e.getMessage(), e);
            return EXIT_FAILURE;
        }
        return runUntilSignal(List.of(new Service(peer::close, peer::awaitClosed)));
    }

    /** A running server as the foreground loop sees it: how to stop it, and how to wait until it has stopped. */
    private record Service(Runnable stop, Awaitable awaitStopped) {
    }

    @FunctionalInterface
    private interface Awaitable {
        void await() throws InterruptedException;
    }

    /**
     * Waits until the first service has stopped, which happens when a signal runs the shutdown hook; the hook stops
     * every service in order.
     */
    private static int runUntilSignal(List<Service> services) {
        Thread hook = new Thread(() -> shutDownOnSignal(services), "jtarget-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            services.getFirst().awaitStopped().await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            services.forEach(service -> service.stop().run());
            return EXIT_FAILURE;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shutdownInProgress) {
            // A signal started the shutdown; the hook finishes it and sets the exit status.
        }
        services.forEach(service -> service.stop().run());
        return EXIT_OK;
    }

    /**
     * Runs in the JVM's shutdown (SIGTERM, SIGINT): closes every service gracefully, in order. After a signal the JVM
     * would report 128+signal, but a shutdown that was asked for and completed is a success, so the hook halts with
     * status 0 (or 1 if closing failed). Halting skips nothing of ours: this is the only hook, and logging is
     * synchronous.
     */
    private static void shutDownOnSignal(List<Service> services) {
        log.info("Shutting down");
        int status = EXIT_OK;
        for (Service service : services) {
            try {
                service.stop().run();
                service.awaitStopped().await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = EXIT_FAILURE;
            } catch (RuntimeException e) {
                log.error("Shutdown failed: {}", e.getMessage(), e);
                status = EXIT_FAILURE;
            }
        }
        if (status == EXIT_OK) {
            log.info("Stopped");
        }
        Runtime.getRuntime().halt(status);
    }

    private static void printProblems(Path file, List<ConfigProblem> problems, PrintStream err) {
        problems.forEach(err::println);
        err.println(file + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems"));
    }

    /**
     * One line: {@code 1 portal (127.0.0.1:3260), 1 target, 1 LUN (1 GiB), cache 256 MiB with 2 flushers}, with
     * devices and NBD exports (whose sizes are known only once opened) and clone-per-initiator targets counted, and
     * the NBD peer if there is one.
     */
    static String summary(ServerConfig config) {
        List<LunConfig> luns = config.targets().stream().map(TargetConfig::luns).flatMap(List::stream).toList();
        long totalBytes = luns.stream().mapToLong(lun -> configuredBytes(lun.backend())).sum();
        long devices = luns.stream().filter(lun -> isA(lun.backend(), BackendConfig.Device.class)).count();
        long nbdExports = luns.stream().filter(lun -> isA(lun.backend(), BackendConfig.Nbd.class)).count();
        long sized = luns.size() - devices - nbdExports;
        List<String> capacity = new ArrayList<>();
        if (sized > 0) {
            capacity.add(ByteSize.format(totalBytes));
        }
        if (devices > 0) {
            capacity.add(count((int) devices, "device"));
        }
        if (nbdExports > 0) {
            capacity.add(count((int) nbdExports, "NBD export"));
        }
        long clones = config.targets().stream().filter(target -> target.clones().isPresent()).count();
        String portals = config.portals().stream().map(PortalConfig::toString).collect(Collectors.joining(", "));
        String peer = config.peer()
                .map(p -> ", NBD peer on " + p.listen() + " with " + count(p.exports().size(), "export"))
                .orElse("");
        return count(config.portals().size(), "portal") + " (" + portals + "), "
                + count(config.targets().size(), "target") + ", "
                + (luns.isEmpty() && clones > 0 ? ""
                        : count(luns.size(), "LUN") + " (" + String.join(" + ", capacity) + "), ")
                + (clones > 0 ? "a clone per initiator in " + count((int) clones, "target") + ", " : "")
                + "cache " + ByteSize.format(config.cache().arenaBytes()) + " with "
                + count(config.cache().flushers(), "flusher") + peer;
    }

    /** The configured size, or 0 for a device or an NBD export, whose size is known only once opened. */
    private static long configuredBytes(BackendConfig backend) {
        return switch (backend) {
            case BackendConfig.File file -> file.sizeBytes();
            case BackendConfig.Memory memory -> memory.sizeBytes();
            case BackendConfig.Device device -> 0;
            case BackendConfig.Nbd nbd -> 0;
            case BackendConfig.Delayed delayed -> configuredBytes(delayed.backend());
        };
    }

    private static boolean isA(BackendConfig backend, Class<? extends BackendConfig> kind) {
        return kind.isInstance(backend instanceof BackendConfig.Delayed delayed ? delayed.backend() : backend);
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
