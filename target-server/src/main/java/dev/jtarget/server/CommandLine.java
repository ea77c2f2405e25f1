package dev.jtarget.server;

import java.nio.file.Path;

/**
 * The parsed arguments of {@code jtarget}: a command and the configuration file it works on.
 *
 * @param config the configuration file; for {@link Command#HELP} it is unused
 */
record CommandLine(Command command, Path config) {

    static final Path DEFAULT_CONFIG = Path.of("conf", "jtarget.xml");

    enum Command { SERVE, CHECK_CONFIG, HELP }

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
            case "help", "-h", "--help" -> Command.HELP;
            case "test" -> throw new UsageException("'test' is a command of the ./jtarget launcher script, not of the jar");
            default -> throw new UsageException("unknown command '" + args[0] + "'");
        };
        if (command == Command.HELP) {
            return new CommandLine(command, DEFAULT_CONFIG);
        }
        Path config = null;
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            String value;
            if (arg.equals("-h") || arg.equals("--help")) {
                return new CommandLine(Command.HELP, DEFAULT_CONFIG);
            } else if (arg.equals("--config")) {
                if (i + 1 == args.length || args[i + 1].isEmpty()) {
                    throw new UsageException("--config needs a file name");
                }
                value = args[++i];
            } else if (arg.startsWith("--config=")) {
                value = arg.substring("--config=".length());
                if (value.isEmpty()) {
                    throw new UsageException("--config needs a file name");
                }
            } else {
                throw new UsageException((arg.startsWith("-") ? "unknown option '" : "unexpected argument '") + arg
                        + "' for " + args[0]);
            }
            if (config != null) {
                throw new UsageException("--config is given more than once");
            }
            config = Path.of(value);
        }
        if (config == null) {
            if (command == Command.CHECK_CONFIG) {
                throw new UsageException("check-config needs --config FILE");
            }
            config = DEFAULT_CONFIG;
        }
        return new CommandLine(command, config);
    }
}
