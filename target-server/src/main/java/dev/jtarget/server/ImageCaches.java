package dev.jtarget.server;

import dev.jtarget.backend.image.ImageReadCache;
import dev.jtarget.config.ImageConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read cache per golden image file, shared by every clone of it, whichever clone-per-initiator target the clone
 * belongs to: a boot storm then reads each block of the image from its file about once. Keyed by the image's path,
 * which is what a clone's qcow2 header names, so clones made of an image before a retarget find its cache too; an
 * image no target uses at startup gets its cache when its first clone opens. Closed when the server stops, after
 * every clone is closed.
 */
final class ImageCaches implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageCaches.class);

    private final Map<Path, ImageReadCache> caches = new LinkedHashMap<>();
    /** The read-cache budgets of the images the server knows by name, for caches opened by a clone's header. */
    private final Map<Path, Long> budgets = new HashMap<>();

    /** Makes {@code image}'s budget the one its cache gets, whoever opens it first. */
    synchronized void declare(ImageConfig image) {
        budgets.put(image.path(), image.readCacheBytes());
    }

    /** The image's cache, opened at the first target or clone using the image. */
    ImageReadCache of(ImageConfig image) throws IOException {
        return of(image.path(), image.readCacheBytes());
    }

    /**
     * The cache of the image file at {@code path} (absolute, normalized), opened at its first use with the budget
     * {@link #declare} gave it, or {@code budgetBytes} for an image nobody declared (a clone made of an image the
     * configuration and the state no longer name).
     */
    synchronized ImageReadCache of(Path path, long budgetBytes) throws IOException {
        ImageReadCache cache = caches.get(path);
        if (cache == null) {
            long budget = budgets.getOrDefault(path, budgetBytes);
            cache = ImageReadCache.open(path, budget);
            caches.put(path, cache);
            log.info("image {}: read cache of {} bytes shared by its clones", path, budget);
        }
        return cache;
    }

    /**
     * One line per image cache for {@code jtarget status}: bytes read from the image file, chunk hits, misses,
     * uncached reads (bypasses), evictions, and the cache's resident bytes against its budget.
     */
    synchronized List<String> statusLines() {
        List<String> lines = new ArrayList<>();
        for (ImageReadCache cache : caches.values()) {
            lines.add(describe(cache) + ", resident " + cache.residentBytes() + " of " + cache.budgetBytes()
                    + " bytes, " + cache.evictions() + " evictions");
        }
        return lines;
    }

    private static String describe(ImageReadCache cache) {
        return cache + ": " + cache.imageBytesRead() + " bytes read from the image file, " + cache.hits()
                + " chunk hits, " + cache.misses() + " misses, " + cache.bypasses() + " uncached reads";
    }

    @Override
    public synchronized void close() {
        for (ImageReadCache cache : caches.values()) {
            log.info("{}", describe(cache));
            try {
                cache.close();
            } catch (IOException e) {
                log.warn("closing the {} failed", cache, e);
            }
        }
        caches.clear();
    }
}
