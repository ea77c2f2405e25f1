package dev.jtarget.server;

import dev.jtarget.config.ByteSize;
import dev.jtarget.config.PeerConfig;
import dev.jtarget.config.PeerExportConfig;
import dev.jtarget.config.PortalConfig;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The arguments of {@code jtarget peer}: {@code --export NAME=PATH[,size=SIZE][,ro]} (repeatable) and
 * {@code --listen ADDRESS:PORT}, checked like the {@code <peer>} section of the XML configuration.
 */
final class PeerArguments {

    private PeerArguments() {
    }

    static PeerConfig parse(String... args) throws CommandLine.UsageException {
        List<PeerExportConfig> exports = new ArrayList<>();
        Set<String> names = new HashSet<>();
        PortalConfig listen = null;
        for (int i = 1; i < args.length; i++) {
            Options.Option option = Options.next(args, i, "--export", "--listen");
            if (option == null) {
                throw Options.unexpected(args, i);
            }
            i = option.lastIndex();
            if (option.name().equals("--listen")) {
                if (listen != null) {
                    throw new CommandLine.UsageException("--listen is given more than once");
                }
                listen = listenAddress(option.value());
            } else {
                PeerExportConfig export = export(option.value());
                if (!names.add(export.name())) {
                    throw new CommandLine.UsageException("export '" + export.name() + "' is given more than once");
                }
                exports.add(export);
            }
        }
        if (exports.isEmpty()) {
            throw new CommandLine.UsageException("peer needs at least one --export NAME=PATH");
        }
        return new PeerConfig(listen == null ? PeerConfig.DEFAULT_LISTEN : listen, exports);
    }

    private static PortalConfig listenAddress(String text) throws CommandLine.UsageException {
        try {
            return PortalConfig.parse(text, "NBD", PeerConfig.DEFAULT_PORT);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.UsageException("--listen: " + e.getMessage());
        }
    }

    /** {@code NAME=PATH[,size=SIZE][,ro]}; a relative PATH is resolved against the working directory. */
    private static PeerExportConfig export(String text) throws CommandLine.UsageException {
        String[] parts = text.split(",", -1);
        int equals = parts[0].indexOf('=');
        if (equals <= 0 || equals == parts[0].length() - 1) {
            throw new CommandLine.UsageException("--export '" + text + "' is not NAME=PATH[,size=SIZE][,ro]");
        }
        String name = parts[0].substring(0, equals);
        Path path;
        try {
            path = Path.of(parts[0].substring(equals + 1)).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new CommandLine.UsageException("--export '" + text + "': not a usable path: " + e.getReason());
        }
        OptionalLong size = OptionalLong.empty();
        boolean readOnly = false;
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            if (part.equals("ro")) {
                readOnly = true;
            } else if (part.startsWith("size=") && size.isEmpty()) {
                size = OptionalLong.of(size(text, part.substring("size=".length())));
            } else {
                throw new CommandLine.UsageException("--export '" + text + "': unknown or repeated option '" + part
                        + "' (expected size=SIZE or ro)");
            }
        }
        return new PeerExportConfig(name, path, size, readOnly);
    }

    private static long size(String export, String text) throws CommandLine.UsageException {
        long bytes;
        try {
            bytes = ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.UsageException("--export '" + export + "': " + e.getMessage()
                    + " (use bytes or a number with KiB/MiB/GiB/TiB)");
        }
        if (bytes == 0 || bytes % PeerExportConfig.BLOCK_SIZE != 0) {
            throw new CommandLine.UsageException("--export '" + export + "': size " + text
                    + " is not a positive multiple of " + PeerExportConfig.BLOCK_SIZE + " bytes");
        }
        return bytes;
    }
}
