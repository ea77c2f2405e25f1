package dev.jtarget.server;

import dev.jtarget.config.PeerConfig;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The parsed arguments of {@code jtarget}: a command and what it works on.
 *
 * @param config the configuration file of {@code serve}, {@code check-config} and {@code status} (which finds the
 *               server started on it); unused by the other commands
 * @param peer   the NBD peer server {@code peer} runs; empty for the other commands
 */
record CommandLine(Command command, Path config, Optional<PeerConfig> peer) {

    static final Path DEFAULT_CONFIG = Path.of("conf", "jtarget.xml");

    enum Command { SERVE, CHECK_CONFIG, STATUS, PEER, HELP }

    CommandLine(Command command, Path config) {
        this(command, config, Optional.empty());
    }

    /** The arguments do not form a command; the message says what is wrong, for people. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    static CommandLine parse(String... args) throws UsageException {
        if (args.length == 0) {
            throw new UsageException("no command given");
        }
        Command command = switch (args[0]) {
            case "serve" -> Command.SERVE;
            case "check-config" -> Command.CHECK_CONFIG;
            case "status" -> Command.STATUS;
            case "peer" -> Command.PEER;
            case "help", "-h", "--help" -> Command.HELP;
            case "test" -> throw new UsageException("'test' is a command of the ./jtarget launcher script, not of the jar");
            default -> throw new UsageException("unknown command '" + args[0] + "'");
        };
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("-h") || args[i].equals("--help")) {
                return new CommandLine(Command.HELP, DEFAULT_CONFIG);
            }
        }
        return switch (command) {
            case HELP -> new CommandLine(Command.HELP, DEFAULT_CONFIG);
            case PEER -> new CommandLine(Command.PEER, DEFAULT_CONFIG, Optional.of(PeerArguments.parse(args)));
            case SERVE, CHECK_CONFIG, STATUS -> new CommandLine(command, config(command, args));
        };
    }

    private static Path config(Command command, String... args) throws UsageException {
        Path config = null;
        for (int i = 1; i < args.length; i++) {
            Options.Option option = Options.next(args, i, "--config");
            if (option == null) {
                throw Options.unexpected(args, i);
            }
            if (config != null) {
                throw new UsageException("--config is given more than once");
            }
            config = Path.of(option.value());
            i = option.lastIndex();
        }
        if (config == null) {
            if (command == Command.CHECK_CONFIG) {
                throw new UsageException("check-config needs --config FILE");
            }
            config = DEFAULT_CONFIG;
        }
        return config;
    }
}
