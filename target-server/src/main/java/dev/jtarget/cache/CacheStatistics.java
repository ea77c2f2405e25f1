package dev.jtarget.cache;

import java.util.List;
import java.util.Locale;

/**
 * A snapshot of the write-back cache, for one LUN or for the whole cache. Counters are cumulative since the LUN was
 * attached (cache-wide: since the start, LUNs detached meanwhile included); rates come from two snapshots
 * ({@link #flushBytesPerSecondSince}).
 *
 * @param scope              a LUN name, or {@code "cache"} for the whole cache
 * @param capturedAtNanos    {@link System#nanoTime()} when the snapshot was taken
 * @param arenaCapacityBytes the size of the shared arena
 * @param arenaUsedBytes     arena memory held (by this LUN, or in total)
 * @param dirtyBytes         acknowledged data not yet written back
 * @param pinnedBytes        memory held by data whose write-back failed and is being retried
 * @param writes             writes received
 * @param writtenBytes       bytes copied into the cache
 * @param absorbedBytes      dirty bytes overwritten before they were written back (never reach the backend)
 * @param writeThroughs      FUA or WCE=0 writes passed straight to the backend (nothing of their range was cached)
 * @param writersWaited      writes that had to wait for free arena pages
 * @param writersThrottled   writes whose completion was delayed because the arena was above its throttle ratio
 * @param flushedBytes       bytes written back to the backend
 * @param flushWrites        backend writes issued by write-back
 * @param backendErrors      failed backend writes during write-back
 */
public record CacheStatistics(String scope, long capturedAtNanos, long arenaCapacityBytes, long arenaUsedBytes,
                              long dirtyBytes, long pinnedBytes, long writes, long writtenBytes, long absorbedBytes,
                              long writeThroughs, long writersWaited, long writersThrottled, long flushedBytes,
                              long flushWrites, long backendErrors) {

    /** Adds up LUN snapshots into the cache-wide one; arena use is the arena's own count, not the sum. */
    static CacheStatistics total(long capturedAtNanos, long arenaCapacityBytes, long arenaUsedBytes,
                                 List<CacheStatistics> luns) {
        long dirty = 0;
        long pinned = 0;
        long writes = 0;
        long written = 0;
        long absorbed = 0;
        long writeThroughs = 0;
        long waited = 0;
        long throttled = 0;
        long flushed = 0;
        long flushWrites = 0;
        long errors = 0;
        for (CacheStatistics lun : luns) {
            dirty += lun.dirtyBytes;
            pinned += lun.pinnedBytes;
            writes += lun.writes;
            written += lun.writtenBytes;
            absorbed += lun.absorbedBytes;
            writeThroughs += lun.writeThroughs;
            waited += lun.writersWaited;
            throttled += lun.writersThrottled;
            flushed += lun.flushedBytes;
            flushWrites += lun.flushWrites;
            errors += lun.backendErrors;
        }
        return new CacheStatistics("cache", capturedAtNanos, arenaCapacityBytes, arenaUsedBytes, dirty, pinned,
                writes, written, absorbed, writeThroughs, waited, throttled, flushed, flushWrites, errors);
    }

    /** Write-back throughput between an earlier snapshot of the same scope and this one. */
    public double flushBytesPerSecondSince(CacheStatistics earlier) {
        long nanos = capturedAtNanos - earlier.capturedAtNanos;
        return nanos <= 0 ? 0 : (flushedBytes - earlier.flushedBytes) * 1e9 / nanos;
    }

    /** One log line; {@code earlier} (may be null) supplies the throughput. */
    public String toLogLine(CacheStatistics earlier) {
        double rate = earlier == null ? 0 : flushBytesPerSecondSince(earlier);
        return String.format(Locale.ROOT,
                "%s: arena %s of %s, dirty %s, pinned %s, written %s in %d writes (%s absorbed, %d write-through),"
                        + " %d waited, %d throttled, flushed %s in %d writes (%s/s), %d backend errors",
                scope, bytes(arenaUsedBytes), bytes(arenaCapacityBytes), bytes(dirtyBytes), bytes(pinnedBytes),
                bytes(writtenBytes), writes, bytes(absorbedBytes), writeThroughs, writersWaited, writersThrottled,
                bytes(flushedBytes), flushWrites, bytes((long) rate), backendErrors);
    }

    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1L << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1L << 30) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
