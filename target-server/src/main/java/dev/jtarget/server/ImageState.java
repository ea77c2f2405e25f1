package dev.jtarget.server;

import dev.jtarget.config.ImageConfig;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What {@code jtarget image promote} and {@code retarget} changed, kept in {@code images.properties} in the server's
 * state directory so it survives restarts: the images promoted from clones, and for each clone-per-initiator target
 * that was retargeted the image its new clones use instead of the configured one. The configuration file stays the
 * operator's: the server never rewrites it, and the override is logged at startup and shown by
 * {@code jtarget image list}.
 *
 * <p>Format (java.util.Properties, so names with ':' are escaped): {@code image.NAME.path},
 * {@code image.NAME.size}, {@code image.NAME.read-cache}, {@code image.NAME.promoted-from} for a promoted image,
 * and {@code target.TARGET.image=NAME} for a retargeted target. Replaced atomically on every change.
 */
final class ImageState {
    static final String FILE_NAME = "images.properties";

    /** A promoted image and where it came from (target, initiator and time, for people). */
    record PromotedImage(ImageConfig image, String promotedFrom) {
    }

    private final Path file;
    private final Map<String, PromotedImage> images = new LinkedHashMap<>();
    /** By target name as configured. */
    private final Map<String, String> targetImages = new TreeMap<>();

    private ImageState(Path file) {
        this.file = file;
    }

    /** The state kept in {@code stateDirectory}; empty when nothing was ever promoted or retargeted. */
    static ImageState load(Path stateDirectory) throws IOException {
        ImageState state = new ImageState(stateDirectory.resolve(FILE_NAME));
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(Files.readString(state.file)));
        } catch (NoSuchFileException e) {
            return state;
        }
        for (String key : new TreeMap<>(properties).keySet().stream().map(Object::toString).toList()) {
            if (key.startsWith("image.") && key.endsWith(".path")) {
                String name = key.substring("image.".length(), key.length() - ".path".length());
                try {
                    ImageConfig image = new ImageConfig(name, Path.of(properties.getProperty(key)),
                            Long.parseLong(properties.getProperty("image." + name + ".size")),
                            Long.parseLong(properties.getProperty("image." + name + ".read-cache")));
                    state.images.put(name, new PromotedImage(image,
                            properties.getProperty("image." + name + ".promoted-from", "")));
                } catch (NumberFormatException | NullPointerException e) {
                    throw new IOException(state.file + ": image '" + name + "' lacks a valid size or read-cache");
                }
            } else if (key.startsWith("target.") && key.endsWith(".image")) {
                state.targetImages.put(key.substring("target.".length(), key.length() - ".image".length()),
                        properties.getProperty(key));
            }
        }
        return state;
    }

    Path file() {
        return file;
    }

    Map<String, PromotedImage> promotedImages() {
        return Collections.unmodifiableMap(images);
    }

    /** The images retargeted targets use, by target name. */
    Map<String, String> targetImages() {
        return Collections.unmodifiableMap(targetImages);
    }

    void addPromoted(PromotedImage promoted) throws IOException {
        images.put(promoted.image().name(), promoted);
        save();
    }

    /** New clones of {@code target} use {@code imageName}; null goes back to the configured image. */
    void retarget(String target, String imageName) throws IOException {
        if (imageName == null) {
            targetImages.remove(target);
        } else {
            targetImages.put(target, imageName);
        }
        save();
    }

    private void save() throws IOException {
        Properties properties = new Properties();
        images.forEach((name, promoted) -> {
            properties.setProperty("image." + name + ".path", promoted.image().path().toString());
            properties.setProperty("image." + name + ".size", Long.toString(promoted.image().sizeBytes()));
            properties.setProperty("image." + name + ".read-cache", Long.toString(promoted.image().readCacheBytes()));
            properties.setProperty("image." + name + ".promoted-from", promoted.promotedFrom());
        });
        targetImages.forEach((target, image) -> properties.setProperty("target." + target + ".image", image));
        StringWriter text = new StringWriter();
        properties.store(text, "jtarget image state: written by 'jtarget image promote' and 'retarget'."
                + " Overrides the configured image of the targets named here.");
        Files.createDirectories(file.getParent());
        DurableFiles.replace(file, text.toString());
    }
}
