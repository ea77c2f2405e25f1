package dev.jtarget.server;

/** Reads {@code --name VALUE} and {@code --name=VALUE} options from the command line. */
final class Options {

    /**
     * One option found in the arguments.
     *
     * @param lastIndex the index of the last argument it used (the value's, when given separately)
     */
    record Option(String name, String value, int lastIndex) {
    }

    private Options() {
    }

    /**
     * The option at {@code args[i]} when it is one of {@code names}, or null when it is none of them.
     *
     * @throws CommandLine.UsageException when the option has no value
     */
    static Option next(String[] args, int i, String... names) throws CommandLine.UsageException {
        String arg = args[i];
        for (String name : names) {
            String value;
            int last = i;
            if (arg.equals(name)) {
                if (i + 1 == args.length || args[i + 1].isEmpty()) {
                    throw new CommandLine.UsageException(name + " needs " + valueName(name));
                }
                value = args[i + 1];
                last = i + 1;
            } else if (arg.startsWith(name + "=")) {
                value = arg.substring(name.length() + 1);
                if (value.isEmpty()) {
                    throw new CommandLine.UsageException(name + " needs " + valueName(name));
                }
            } else {
                continue;
            }
            return new Option(name, value, last);
        }
        return null;
    }

    private static String valueName(String option) {
        return switch (option) {
            case "--config" -> "a file name";
            case "--export" -> "NAME=PATH";
            case "--listen" -> "ADDRESS:PORT";
            default -> "a value";
        };
    }

    /** The error for an argument no option of {@code args[0]} accepts. */
    static CommandLine.UsageException unexpected(String[] args, int i) {
        String arg = args[i];
        return new CommandLine.UsageException((arg.startsWith("-") ? "unknown option '" : "unexpected argument '")
                + arg + "' for " + args[0]);
    }
}
