package dev.jtarget.config;

import java.nio.file.Path;

/**
 * {@code <image name=".." path=".." read-cache=".."/>}: a read-only raw golden image that clones are made of.
 *
 * @param path           absolute, normalized: clones record it as their backing file
 * @param sizeBytes      the file's size when the configuration was read
 * @param readCacheBytes budget of the read cache all clones of the image share; 0 when disabled
 */
public record ImageConfig(String name, Path path, long sizeBytes, long readCacheBytes) {
}
