package dev.jtarget.config;

import dev.jtarget.backend.nbd.NbdUri;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Turns the backend element of a {@code <lun>} (and the {@code <delay>} after it) into a {@link BackendConfig},
 * reporting what the schema cannot check: sizes in whole blocks, devices that exist, URIs that parse, paths used once.
 */
final class BackendInterpreter {

    /** The backend elements this version understands; the schema's substitution group {@code backend} lists them. */
    static final List<String> BACKEND_ELEMENTS = List.of("file", "memory", "device", "nbd");

    private final PathClaims paths;
    private final DeviceProbe devices;
    private final PathClaims.Reporter reporter;

    BackendInterpreter(PathClaims paths, DeviceProbe devices, PathClaims.Reporter reporter) {
        this.paths = paths;
        this.devices = devices;
        this.reporter = reporter;
    }

    /** The backend of {@code lun}, or empty when it is missing (already reported by the schema) or has problems. */
    Optional<BackendConfig> backendOf(ConfigElement lun, int blockSize) {
        Optional<ConfigElement> element = lun.children().stream()
                .filter(child -> BACKEND_ELEMENTS.contains(child.name())).findFirst();
        Optional<BackendConfig> backend = element.flatMap(e -> backend(e, blockSize));
        Optional<ConfigElement> delay = lun.child("delay");
        if (delay.isEmpty()) {
            return backend;
        }
        Duration write = Durations.parse(delay.get().attribute("write"));
        Duration read = Durations.parse(delay.get().attribute("read"));
        int queueDepth = Integer.parseInt(delay.get().attribute("queue-depth"));
        return backend.map(b -> new BackendConfig.Delayed(b, write, read, queueDepth));
    }

    private Optional<BackendConfig> backend(ConfigElement element, int blockSize) {
        String user = element.parent().describe();
        return switch (element.name()) {
            case "file" -> {
                // Both checked, so that a wrong size and a reused file are reported in one go.
                OptionalLong size = lunSize(element, blockSize);
                Optional<Path> path = paths.claim(element, "file", user);
                yield size.isPresent() ? path.map(p -> new BackendConfig.File(p, size.getAsLong())) : Optional.empty();
            }
            case "memory" -> {
                OptionalLong size = lunSize(element, blockSize);
                yield size.isPresent() ? Optional.of(new BackendConfig.Memory(size.getAsLong())) : Optional.empty();
            }
            case "device" -> device(element, user).map(BackendConfig.Device::new);
            case "nbd" -> nbd(element);
            default -> throw new IllegalStateException("not a backend element: " + element.name());
        };
    }

    /** A device path that exists, is a block device and is not used elsewhere. */
    Optional<Path> device(ConfigElement element, String user) {
        Optional<Path> path = paths.claim(element, "device", user);
        if (path.isEmpty()) {
            return path;
        }
        String text = element.attribute("path");
        return switch (devices.status(path.get())) {
            case BLOCK_DEVICE -> path;
            case MISSING -> {
                reporter.problem(element, "no such device '" + text + "'");
                yield Optional.empty();
            }
            case NOT_A_BLOCK_DEVICE -> {
                reporter.problem(element, "'" + text + "' is not a block device: use <file> for a regular file");
                yield Optional.empty();
            }
        };
    }

    private Optional<BackendConfig> nbd(ConfigElement element) {
        Duration timeout = Durations.parse(element.attribute("timeout"));
        if (timeout.isZero()) {
            reporter.problem(element, "timeout of " + element.describe() + " must be more than 0: it is how long"
                    + " requests wait for an unreachable peer before they fail");
        }
        try {
            NbdUri uri = NbdUri.parse(element.attribute("uri"));
            return timeout.isZero() ? Optional.empty() : Optional.of(new BackendConfig.Nbd(uri, timeout));
        } catch (IllegalArgumentException e) {
            reporter.problem(element, e.getMessage());
            return Optional.empty();
        }
    }

    private OptionalLong lunSize(ConfigElement element, int blockSize) {
        String text = element.attribute("size");
        OptionalLong size = size(element, text);
        if (size.isEmpty()) {
            return size;
        }
        long bytes = size.getAsLong();
        if (bytes == 0) {
            reporter.problem(element, "size of " + element.parent().describe() + " is 0: a LUN needs at least one "
                    + blockSize + "-byte block");
            return OptionalLong.empty();
        }
        if (bytes % blockSize != 0) {
            reporter.problem(element, "size " + text + spelledOut(text, bytes) + " of " + element.parent().describe()
                    + " is not a multiple of its block-size " + blockSize);
            return OptionalLong.empty();
        }
        return size;
    }

    /** {@code " (6144 bytes)"} after a size written with a unit; nothing after a plain byte count. */
    static String spelledOut(String text, long bytes) {
        return text.equals(Long.toString(bytes)) ? "" : " (" + bytes + " bytes)";
    }

    OptionalLong size(ConfigElement element, String text) {
        try {
            return OptionalLong.of(ByteSize.parse(text));
        } catch (IllegalArgumentException e) {
            reporter.problem(element, e.getMessage());
            return OptionalLong.empty();
        }
    }
}
