package dev.jtarget.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Who a clone belongs to and when it was last used, kept in a small text file next to its overlay
 * ({@code NAME.qcow2} gets {@code NAME.initiator}): clone file names are sanitized and hashed, so the real initiator
 * name must be stored somewhere for {@code jtarget image list} and {@code expire}. Replaced atomically at every
 * login and logout.
 *
 * @param lastLogout null until the initiator's last session first ended
 */
record CloneRecord(String initiatorName, Instant created, Instant lastLogin, Instant lastLogout) {
    static final String SUFFIX = ".initiator";

    /** The record file of the clone in {@code overlay}. */
    static Path fileOf(Path overlay) {
        String name = overlay.getFileName().toString();
        String base = name.endsWith(".qcow2") ? name.substring(0, name.length() - ".qcow2".length()) : name;
        return overlay.resolveSibling(base + SUFFIX);
    }

    /** The record of the clone in {@code overlay}; empty when it has none (made before records were kept). */
    static Optional<CloneRecord> read(Path overlay) throws IOException {
        Path file = fileOf(overlay);
        Map<String, String> fields = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                int equals = line.indexOf('=');
                if (!line.startsWith("#") && equals > 0) {
                    fields.put(line.substring(0, equals), line.substring(equals + 1));
                }
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(new CloneRecord(require(fields, "initiator", file),
                    Instant.parse(require(fields, "created", file)), Instant.parse(require(fields, "last-login", file)),
                    fields.containsKey("last-logout") ? Instant.parse(fields.get("last-logout")) : null));
        } catch (DateTimeParseException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static String require(Map<String, String> fields, String key, Path file) throws IOException {
        String value = fields.get(key);
        if (value == null || value.isEmpty()) {
            throw new IOException(file + ": no " + key + "=");
        }
        return value;
    }

    void write(Path overlay) throws IOException {
        DurableFiles.replace(fileOf(overlay), "# jtarget: the initiator this clone belongs to and when it was used\n"
                + "initiator=" + initiatorName + "\n"
                + "created=" + created + "\n"
                + "last-login=" + lastLogin + "\n"
                + (lastLogout == null ? "" : "last-logout=" + lastLogout + "\n"));
    }

    CloneRecord loggedIn(Instant at) {
        return new CloneRecord(initiatorName, created, at, lastLogout);
    }

    CloneRecord loggedOut(Instant at) {
        return new CloneRecord(initiatorName, created, lastLogin, at);
    }

    /** The last time the initiator was seen logging in or out. */
    Instant lastSeen() {
        return lastLogout == null || lastLogout.isBefore(lastLogin) ? lastLogin : lastLogout;
    }
}
