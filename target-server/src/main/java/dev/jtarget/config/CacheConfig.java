package dev.jtarget.config;

/** The write-back arena: its size in bytes and the number of flusher threads. */
public record CacheConfig(long arenaBytes, int flushers) {
    public static final CacheConfig DEFAULT = new CacheConfig(256L << 20, 2);
}
