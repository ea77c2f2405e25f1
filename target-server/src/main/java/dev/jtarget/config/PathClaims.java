package dev.jtarget.config;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which LUN or NBD export uses which file or device, so that no two of them share one: two writers that know nothing
 * of each other would overwrite each other's data. Paths compare after resolving {@code ..} and symbolic links (a
 * {@code /dev/disk/by-id} link and the {@code /dev/sdX} it points to are one device).
 */
final class PathClaims {

    /** Where a path was first claimed and by what (for the message about the second claim). */
    private record Claim(ConfigElement element, String user) {
    }

    private final Path baseDir;
    private final Reporter reporter;
    private final Map<Path, Claim> claims = new HashMap<>();

    PathClaims(Path baseDir, Reporter reporter) {
        this.baseDir = baseDir;
        this.reporter = reporter;
    }

    /**
     * Resolves the {@code path} attribute of {@code element} and claims it for {@code user} (for example
     * {@code lun 0 in target '...'}); reports a problem and returns empty when it is unusable or already taken.
     *
     * @param kind how messages name the path: {@code file}, {@code device} or {@code path}
     */
    Optional<Path> claim(ConfigElement element, String kind, String user) {
        return claim(element, "path", kind, user);
    }

    /** As {@link #claim(ConfigElement, String, String)} for the path in {@code attribute}. */
    Optional<Path> claim(ConfigElement element, String attribute, String kind, String user) {
        String text = element.attribute(attribute);
        Path path;
        try {
            path = baseDir.resolve(text).normalize();
        } catch (InvalidPathException e) {
            reporter.problem(element, "'" + text + "' is not a usable file path: " + e.getReason());
            return Optional.empty();
        }
        Claim first = claims.putIfAbsent(identity(path), new Claim(element, user));
        if (first != null) {
            reporter.problem(element, kind + " '" + text + "' is already used by " + first.user() + " (line "
                    + first.element().line() + "); two writers on one " + kind + " would overwrite each other's data");
            return Optional.empty();
        }
        return Optional.of(path);
    }

    /** The path with symbolic links resolved when it exists; as written (normalized) when it does not exist yet. */
    private static Path identity(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException | SecurityException e) {
            return path;
        }
    }

    /** Where problems go: the interpreter's list, with the element's position. */
    @FunctionalInterface
    interface Reporter {
        void problem(ConfigElement element, String message);
    }
}
