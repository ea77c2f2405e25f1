package dev.jtarget.server;

import dev.jtarget.backend.image.ImageReadCache;
import dev.jtarget.config.ImageConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read cache per golden image, shared by every clone of it, whichever clone-per-initiator target the clone
 * belongs to: a boot storm then reads each block of the image from its file about once. Closed when the server
 * stops, after every clone is closed.
 */
final class ImageCaches implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageCaches.class);

    private final Map<Path, ImageReadCache> caches = new LinkedHashMap<>();

    /** The image's cache, opened at the first target using the image. */
    synchronized ImageReadCache of(ImageConfig image) throws IOException {
        ImageReadCache cache = caches.get(image.path());
        if (cache == null) {
            cache = ImageReadCache.open(image.path(), image.readCacheBytes());
            caches.put(image.path(), cache);
            log.info("image '{}' ({}): read cache of {} bytes shared by its clones", image.name(), image.path(),
                    image.readCacheBytes());
        }
        return cache;
    }

    @Override
    public synchronized void close() {
        for (ImageReadCache cache : caches.values()) {
            log.info("{}: {} bytes read from the image file, {} chunk hits, {} misses, {} uncached reads", cache,
                    cache.imageBytesRead(), cache.hits(), cache.misses(), cache.bypasses());
            try {
                cache.close();
            } catch (IOException e) {
                log.warn("closing the {} failed", cache, e);
            }
        }
        caches.clear();
    }
}
