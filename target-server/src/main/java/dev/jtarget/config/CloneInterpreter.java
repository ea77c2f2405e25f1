package dev.jtarget.config;

import dev.jtarget.backend.image.ImageReadCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Turns {@code <image>} and {@code <clone-per-initiator>} elements into records, checking what the schema cannot: a
 * golden image exists and is used by nothing else, a clone refers to a declared image, is at least as large as it
 * and holds whole blocks, and its directory belongs to that target alone (two targets writing one initiator's
 * clone file would overwrite each other's data).
 */
final class CloneInterpreter {

    private final PathClaims paths;
    private final BackendInterpreter backends;
    private final PathClaims.Reporter reporter;
    /** Every name an {@code <image>} declares, usable or not, so a broken image is reported once, not per clone. */
    private final Set<String> declared = new HashSet<>();
    private final Map<String, ImageConfig> images = new HashMap<>();
    private final Map<String, ConfigElement> imageElements = new HashMap<>();

    CloneInterpreter(PathClaims paths, BackendInterpreter backends, PathClaims.Reporter reporter) {
        this.paths = paths;
        this.backends = backends;
        this.reporter = reporter;
    }

    void images(Iterable<ConfigElement> elements) {
        for (ConfigElement element : elements) {
            String name = element.attribute("name");
            ConfigElement first = imageElements.putIfAbsent(name, element);
            if (first != null) {
                reporter.problem(element, "duplicate image name '" + name + "': already defined at line "
                        + first.line());
                continue;
            }
            declared.add(name);
            image(element, name).ifPresent(image -> images.put(name, image));
        }
    }

    private Optional<ImageConfig> image(ConfigElement element, String name) {
        Optional<Path> claimed = paths.claim(element, "file", "image '" + name + "'");
        if (claimed.isEmpty()) {
            return Optional.empty();
        }
        Path path = claimed.get().toAbsolutePath();
        String text = element.attribute("path");
        if (!Files.exists(path)) {
            reporter.problem(element, "image '" + name + "': no such file '" + text + "' (" + path + ")");
            return Optional.empty();
        }
        if (!Files.isRegularFile(path)) {
            reporter.problem(element, "image '" + name + "': '" + text + "' is not a regular file; images are raw"
                    + " disk image files");
            return Optional.empty();
        }
        OptionalLong readCache = readCache(element, name);
        if (readCache.isEmpty()) {
            return Optional.empty();
        }
        try {
            long size = Files.size(path);
            if (size == 0) {
                reporter.problem(element, "image '" + name + "': '" + text + "' is empty");
                return Optional.empty();
            }
            return Optional.of(new ImageConfig(name, path, size, readCache.getAsLong()));
        } catch (IOException e) {
            reporter.problem(element, "image '" + name + "': cannot read '" + text + "': " + e.getMessage());
            return Optional.empty();
        }
    }

    /** The read cache's budget: 0 (off), or from one chunk to the most the cache can index. */
    private OptionalLong readCache(ConfigElement element, String name) {
        String text = element.attribute("read-cache");
        OptionalLong budget = backends.size(element, text);
        if (budget.isEmpty()) {
            return budget;
        }
        long bytes = budget.getAsLong();
        if (bytes != 0 && (bytes < ImageReadCache.CHUNK_BYTES || bytes > ImageReadCache.MAX_BUDGET_BYTES)) {
            reporter.problem(element, "read-cache " + text + BackendInterpreter.spelledOut(text, bytes) + " of image '"
                    + name + "' must be 0 (off) or from 64KiB (one chunk) to 1TiB");
            return OptionalLong.empty();
        }
        return budget;
    }

    Optional<ClonePerInitiatorConfig> clonePerInitiator(ConfigElement element) {
        String user = element.describe();
        String imageName = element.attribute("image");
        Optional<Path> dir = paths.claim(element, "dir", "directory", user);
        if (dir.isPresent() && Files.exists(dir.get()) && !Files.isDirectory(dir.get())) {
            reporter.problem(element, "dir '" + element.attribute("dir") + "' of " + user + " is not a directory");
            dir = Optional.empty();
        }
        if (!declared.contains(imageName)) {
            reporter.problem(element, user + " refers to image '" + imageName + "', which no <image> declares");
            return Optional.empty();
        }
        ImageConfig image = images.get(imageName);
        int blockSize = Integer.parseInt(element.attribute("block-size").strip());
        OptionalLong size = image == null ? OptionalLong.empty() : cloneSize(element, image, blockSize);
        Optional<ClonePerInitiatorConfig.Space> space = space(element);
        if (dir.isEmpty() || size.isEmpty() || space.isEmpty()) {
            return Optional.empty();
        }
        ClonePerInitiatorConfig.OnLogout onLogout = "reset".equals(element.attribute("on-logout"))
                ? ClonePerInitiatorConfig.OnLogout.RESET : ClonePerInitiatorConfig.OnLogout.KEEP;
        int lunId = Integer.parseInt(element.attribute("lun").strip());
        boolean writeCache = "on".equals(element.attribute("write-cache"));
        return Optional.of(new ClonePerInitiatorConfig(image, dir.get().toAbsolutePath(), size.getAsLong(), onLogout,
                lunId, writeCache, blockSize, space.get()));
    }

    /** space-soft-threshold (the schema checks 1% to 99%) and space-reserve (a size, or automatic when absent). */
    private Optional<ClonePerInitiatorConfig.Space> space(ConfigElement element) {
        String threshold = element.attribute("space-soft-threshold").strip();
        int percent = Integer.parseInt(threshold.substring(0, threshold.length() - 1));
        String reserve = element.attribute("space-reserve");
        if (reserve == null) {
            return Optional.of(new ClonePerInitiatorConfig.Space(percent,
                    ClonePerInitiatorConfig.Space.AUTOMATIC_RESERVE));
        }
        OptionalLong bytes = backends.size(element, reserve);
        return bytes.isEmpty() ? Optional.empty()
                : Optional.of(new ClonePerInitiatorConfig.Space(percent, bytes.getAsLong()));
    }

    /** The clone's capacity: the size attribute, or the image's size; whole blocks and no smaller than the image. */
    private OptionalLong cloneSize(ConfigElement element, ImageConfig image, int blockSize) {
        String text = element.attribute("size");
        OptionalLong size = text == null ? OptionalLong.of(image.sizeBytes()) : backends.size(element, text);
        if (size.isEmpty()) {
            return size;
        }
        long bytes = size.getAsLong();
        String spelled = text == null ? "the image's size " + bytes
                : "size " + text + BackendInterpreter.spelledOut(text, bytes);
        if (bytes < image.sizeBytes()) {
            reporter.problem(element, spelled + " of " + element.describe() + " is smaller than image '"
                    + image.name() + "' (" + image.sizeBytes() + " bytes): the clone would cut the image off");
            return OptionalLong.empty();
        }
        if (bytes % blockSize != 0) {
            reporter.problem(element, spelled + " of " + element.describe() + " is not a multiple of its block-size "
                    + blockSize + (text == null ? ": set size" : ""));
            return OptionalLong.empty();
        }
        return size;
    }
}
