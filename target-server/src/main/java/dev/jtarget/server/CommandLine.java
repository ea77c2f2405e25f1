package dev.jtarget.server;

import dev.jtarget.config.PeerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The parsed arguments of {@code jtarget}: a command and what it works on.
 *
 * @param config the configuration file of {@code serve}, {@code check-config} and {@code status} (which finds the
 *               server started on it); unused by the other commands
 * @param peer   the NBD peer server {@code peer} runs; empty for the other commands
 * @param image  the operation {@code image} asks the server for; empty for the other commands
 */
record CommandLine(Command command, Path config, Optional<PeerConfig> peer, Optional<ImageRequest> image) {

    static final Path DEFAULT_CONFIG = Path.of("conf", "jtarget.xml");

    enum Command { SERVE, CHECK_CONFIG, STATUS, IMAGE, PEER, HELP }

    CommandLine(Command command, Path config) {
        this(command, config, Optional.empty(), Optional.empty());
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
            case "image" -> Command.IMAGE;
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
            case PEER -> new CommandLine(Command.PEER, DEFAULT_CONFIG, Optional.of(PeerArguments.parse(args)),
                    Optional.empty());
            case IMAGE -> image(args);
            case SERVE, CHECK_CONFIG, STATUS -> new CommandLine(command, config(command, args));
        };
    }

    /** {@code image OPERATION ARGUMENTS... [--config FILE]}: {@code --config} may come anywhere after the command. */
    private static CommandLine image(String... args) throws UsageException {
        Path config = null;
        List<String> words = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            Options.Option option = Options.next(args, i, "--config");
            if (option == null) {
                words.add(args[i]);
                continue;
            }
            if (config != null) {
                throw new UsageException("--config is given more than once");
            }
            config = Path.of(option.value());
            i = option.lastIndex();
        }
        return new CommandLine(Command.IMAGE, config == null ? DEFAULT_CONFIG : config, Optional.empty(),
                Optional.of(ImageRequest.parse(words)));
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
