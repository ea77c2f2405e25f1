package dev.jtarget.server;

import dev.jtarget.config.ClonePerInitiatorConfig;
import dev.jtarget.config.ImageConfig;
import dev.jtarget.config.ServerConfig;
import dev.jtarget.config.TargetConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The images the server knows: those its clone-per-initiator targets are configured with, and those promoted from
 * clones ({@link ImageState}); and which of them each target makes new clones of. A retarget recorded in the state
 * overrides the configuration, loudly: it is logged at startup and shown by {@code jtarget image list}.
 */
final class ImageCatalog {
    private static final Logger log = LoggerFactory.getLogger(ImageCatalog.class);

    private final ImageState state;
    /** By name: configured images first, then promoted ones. */
    private final Map<String, ImageConfig> images = new LinkedHashMap<>();

    private ImageCatalog(ImageState state) {
        this.state = state;
    }

    /**
     * The images of {@code config} and those the state in {@code stateDirectory} records, each declared to
     * {@code caches} with its read-cache budget.
     *
     * @throws IOException when the state cannot be read or contradicts the configuration (a promoted image named
     *                     like a configured one, or whose file is gone while a target is retargeted to it)
     */
    static ImageCatalog load(ServerConfig config, Path stateDirectory, ImageCaches caches) throws IOException {
        ImageCatalog catalog = new ImageCatalog(ImageState.load(stateDirectory));
        for (TargetConfig target : config.targets()) {
            target.clones().ifPresent(clones -> catalog.images.put(clones.image().name(), clones.image()));
        }
        for (ImageState.PromotedImage promoted : catalog.state.promotedImages().values()) {
            ImageConfig image = promoted.image();
            if (catalog.images.containsKey(image.name())) {
                throw new IOException(catalog.state.file() + ": promoted image '" + image.name() + "' has the name"
                        + " of an image in the configuration; rename one of them");
            }
            if (!Files.isRegularFile(image.path())) {
                // Deleting an image nobody makes new clones of is the operator's right; losing the one a target
                // makes them of would silently change what new machines boot, so that refuses the start.
                if (catalog.state.targetImages().containsValue(image.name())) {
                    throw new IOException(catalog.state.file() + ": promoted image '" + image.name() + "', which a"
                            + " target is retargeted to: no such file " + image.path());
                }
                log.warn("{}: promoted image '{}' is gone ({}); forgotten", catalog.state.file(), image.name(),
                        image.path());
                continue;
            }
            catalog.images.put(image.name(), image);
        }
        catalog.images.values().forEach(caches::declare);
        return catalog;
    }

    /**
     * The image new clones of {@code target} are made of: the configured one, unless a retarget recorded another.
     *
     * @throws IOException when the recorded image is unknown or larger than the target's clones
     */
    synchronized ImageConfig imageFor(String target, ClonePerInitiatorConfig clones) throws IOException {
        String name = state.targetImages().get(target);
        if (name == null) {
            return clones.image();
        }
        ImageConfig image = images.get(name);
        if (image == null) {
            throw new IOException(state.file() + ": target " + target + " is retargeted to image '" + name
                    + "', which neither the configuration nor the state declares");
        }
        checkFits(target, clones, image);
        log.warn("{}: new clones are made of image '{}' ({}), not of the configured '{}': retargeted in {}", target,
                image.name(), image.path(), clones.image().name(), state.file());
        return image;
    }

    static void checkFits(String target, ClonePerInitiatorConfig clones, ImageConfig image) throws IOException {
        if (image.sizeBytes() > clones.sizeBytes()) {
            throw new IOException("image '" + image.name() + "' (" + image.sizeBytes() + " bytes) is larger than the "
                    + clones.sizeBytes() + "-byte clones of " + target + ": they would cut it off");
        }
    }

    synchronized Optional<ImageConfig> byName(String name) {
        return Optional.ofNullable(images.get(name));
    }

    synchronized Optional<ImageConfig> byPath(Path path) {
        return images.values().stream().filter(image -> image.path().equals(path)).findFirst();
    }

    synchronized List<ImageConfig> all() {
        return new ArrayList<>(images.values());
    }

    /** Where the image comes from, for {@code image list}. */
    synchronized String origin(ImageConfig image) {
        ImageState.PromotedImage promoted = state.promotedImages().get(image.name());
        return promoted == null ? "configuration" : "promoted from " + promoted.promotedFrom();
    }

    /** Whether {@code target}'s image was chosen by a retarget rather than by the configuration. */
    synchronized boolean isRetargeted(String target) {
        return state.targetImages().containsKey(target);
    }

    Path stateFile() {
        return state.file();
    }

    /** Records a promoted image, durably, before anyone can retarget to it. */
    synchronized void addPromoted(ImageConfig image, String target, String initiator, Instant at,
                                  ImageCaches caches) throws IOException {
        if (images.containsKey(image.name())) {
            throw new IOException("an image named '" + image.name() + "' exists already");
        }
        state.addPromoted(new ImageState.PromotedImage(image, target + " " + initiator + " at " + at));
        images.put(image.name(), image);
        caches.declare(image);
    }

    /** Records that new clones of {@code target} use {@code image}; the configured image clears the override. */
    synchronized void retarget(String target, ClonePerInitiatorConfig clones, ImageConfig image) throws IOException {
        state.retarget(target, image.name().equals(clones.image().name()) ? null : image.name());
    }
}
