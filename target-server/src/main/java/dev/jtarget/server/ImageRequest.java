package dev.jtarget.server;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One {@code jtarget image} operation, parsed from the words after {@code image} on the command line and, again, by
 * the server from the request line the command sends over the admin socket ({@link #line()}), so both refuse the same
 * malformed requests with the same words.
 */
sealed interface ImageRequest {
    /** Image names become file names ({@code NAME.raw} of a promoted image): no path separators, no hidden files. */
    Pattern IMAGE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    String USAGE = """
              image list [--config FILE]   images and clones: sizes, allocated bytes, backing image,
                                           logged in or not, created / last login / last logout
              image reset TARGET INITIATOR [--config FILE]
                                           delete INITIATOR's clone so its next login starts from the
                                           image again (refused while it is logged in)
              image promote TARGET INITIATOR NAME [--config FILE]
                                           flatten INITIATOR's clone into a new raw image NAME.raw next
                                           to the clone's image (refused while it is logged in)
              image retarget TARGET IMAGE [--config FILE]
                                           new clones of TARGET use IMAGE; existing clones keep theirs
              image expire --days N [--dry-run] [--config FILE]
                                           delete clones of initiators not seen for more than N days
            """;

    /** The request line sent to the server. */
    String line();

    record ListAll() implements ImageRequest {
        @Override
        public String line() {
            return "image list";
        }
    }

    record Reset(String target, String initiator) implements ImageRequest {
        @Override
        public String line() {
            return "image reset " + target + " " + initiator;
        }
    }

    record Promote(String target, String initiator, String imageName) implements ImageRequest {
        @Override
        public String line() {
            return "image promote " + target + " " + initiator + " " + imageName;
        }
    }

    record Retarget(String target, String imageName) implements ImageRequest {
        @Override
        public String line() {
            return "image retarget " + target + " " + imageName;
        }
    }

    record Expire(int days, boolean dryRun) implements ImageRequest {
        @Override
        public String line() {
            return "image expire --days " + days + (dryRun ? " --dry-run" : "");
        }
    }

    /** Parses {@code words}: the operation and its arguments, without {@code image} and without {@code --config}. */
    static ImageRequest parse(List<String> words) throws CommandLine.UsageException {
        if (words.isEmpty()) {
            throw new CommandLine.UsageException("image needs an operation: list, reset, promote, retarget, expire");
        }
        List<String> arguments = words.subList(1, words.size());
        return switch (words.getFirst()) {
            case "list" -> {
                count(arguments, "list", 0);
                yield new ListAll();
            }
            case "reset" -> {
                count(arguments, "reset TARGET INITIATOR", 2);
                yield new Reset(arguments.get(0), arguments.get(1));
            }
            case "promote" -> {
                count(arguments, "promote TARGET INITIATOR NAME", 3);
                yield new Promote(arguments.get(0), arguments.get(1), imageName(arguments.get(2)));
            }
            case "retarget" -> {
                count(arguments, "retarget TARGET IMAGE", 2);
                yield new Retarget(arguments.get(0), arguments.get(1));
            }
            case "expire" -> expire(arguments);
            default -> throw new CommandLine.UsageException("unknown image operation '" + words.getFirst() + "'");
        };
    }

    private static void count(List<String> arguments, String usage, int expected)
            throws CommandLine.UsageException {
        if (arguments.size() != expected) {
            throw new CommandLine.UsageException("usage: image " + usage);
        }
    }

    private static String imageName(String name) throws CommandLine.UsageException {
        if (!IMAGE_NAME.matcher(name).matches()) {
            throw new CommandLine.UsageException("image name '" + name + "': use letters, digits, '.', '_' and '-',"
                    + " starting with a letter or digit (it names the file NAME.raw)");
        }
        return name;
    }

    private static Expire expire(List<String> arguments) throws CommandLine.UsageException {
        Integer days = null;
        boolean dryRun = false;
        String[] args = arguments.toArray(String[]::new);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--dry-run")) {
                dryRun = true;
                continue;
            }
            Options.Option option = Options.next(args, i, "--days");
            if (option == null || days != null) {
                throw new CommandLine.UsageException("usage: image expire --days N [--dry-run]");
            }
            try {
                days = Integer.parseInt(option.value());
            } catch (NumberFormatException e) {
                days = -1;
            }
            if (days < 0) {
                throw new CommandLine.UsageException("--days needs a whole number of days, not '" + option.value()
                        + "'");
            }
            i = option.lastIndex();
        }
        if (days == null) {
            throw new CommandLine.UsageException("image expire needs --days N");
        }
        return new Expire(days, dryRun);
    }
}
