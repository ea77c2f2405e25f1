package dev.jtarget.config;

import dev.jtarget.backend.nbd.NbdUri;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Turns the backend element of a {@code <lun>} (and the {@code <delay>} after it) into a {@link BackendConfig},
 * reporting what the schema cannot check: sizes in whole blocks, devices that exist, URIs that parse, paths used once,
 * block sizes the storage can take.
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
                boolean direct = "true".equals(element.attribute("direct"));
                boolean aligned = path.isEmpty() || !direct || fitsDirectFile(element, path.get(), blockSize);
                yield size.isPresent() && aligned
                        ? path.map(p -> new BackendConfig.File(p, size.getAsLong(), direct)) : Optional.empty();
            }
            case "memory" -> {
                OptionalLong size = lunSize(element, blockSize);
                yield size.isPresent() ? Optional.of(new BackendConfig.Memory(size.getAsLong())) : Optional.empty();
            }
            case "device" -> device(element, user)
                    .filter(path -> fitsDevice(element, path, blockSize))
                    .map(path -> new BackendConfig.Device(path, "true".equals(element.attribute("direct"))));
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

    /**
     * O_DIRECT moves whole filesystem blocks: a LUN block smaller than one would need a read-modify-write of the
     * block around it, which the backend does not do.
     */
    private boolean fitsDirectFile(ConfigElement element, Path path, int blockSize) {
        return fits(element, blockSize, devices.fileSystemBlockSize(path), "-byte blocks of the filesystem holding '"
                + element.attribute("path") + "', which direct=\"true\" (O_DIRECT) reads and writes whole");
    }

    /** A device reads and writes whole logical blocks, whether through the page cache or with O_DIRECT. */
    private boolean fitsDevice(ConfigElement element, Path path, int blockSize) {
        return fits(element, blockSize, devices.logicalBlockSize(path),
                "-byte logical blocks of device '" + element.attribute("path") + "'");
    }

    /** True when {@code blockSize} is a whole number of {@code unit} (or the unit is unknown); reports it if not. */
    private boolean fits(ConfigElement element, int blockSize, OptionalInt unit, String unitDescription) {
        if (unit.isEmpty() || blockSize % unit.getAsInt() == 0) {
            return true;
        }
        reporter.problem(element, "block-size " + blockSize + " of " + element.parent().describe()
                + " is not a multiple of the " + unit.getAsInt() + unitDescription);
        return false;
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
