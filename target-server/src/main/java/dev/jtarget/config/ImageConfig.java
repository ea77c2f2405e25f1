package dev.jtarget.config;

import java.nio.file.Path;

/**
 * {@code <image name=".." path=".."/>}: a read-only raw golden image that clones are made of.
 *
 * @param path      absolute, normalized: clones record it as their backing file
 * @param sizeBytes the file's size when the configuration was read
 */
public record ImageConfig(String name, Path path, long sizeBytes) {
}
