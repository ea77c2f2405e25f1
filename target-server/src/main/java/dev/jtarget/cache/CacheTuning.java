package dev.jtarget.cache;

import java.time.Duration;
import java.util.Objects;

/**
 * The knobs of the write-back cache besides its size and flusher count. The defaults follow Linux's writeback
 * (dirty_background_ratio, dirty_ratio, dirty_expire_centisecs), scaled to a storage target that should hold
 * unsynchronized data for seconds rather than half a minute.
 *
 * @param pageSize              arena page size in bytes: a power of two, at least 512. 4 KiB matches what initiators
 *                              write (file systems and databases use 4 KiB blocks), so random small writes waste no
 *                              arena; sequential streams are coalesced into large backend writes anyway, so bigger
 *                              pages would only add waste. A page holds at most 64 blocks of its LUN.
 * @param backgroundRatio       flushers start writing back once this share of the arena is in use (Linux
 *                              dirty_background_ratio, 10 %); below it dirty data waits until it expires
 * @param throttleRatio         above this share writers are slowed down progressively (Linux dirty_ratio, 20 %; we
 *                              allow larger bursts to stay fast, since the arena is dedicated to the cache)
 * @param maxThrottleDelay      the delay added to a write's completion when the arena is all but full; the delay grows
 *                              quadratically from zero at {@code throttleRatio}. A full arena makes writers wait
 *                              for free pages instead.
 * @param dirtyExpire           dirty data older than this is written back even below the background ratio (Linux
 *                              dirty_expire_centisecs is 30 s; 5 s bounds what a crash of a WCE=1 LUN can lose)
 * @param maxWriteBytes         the largest gathered backend write a flusher issues
 * @param maxBatchWrites        how many backend writes one flusher keeps in flight at once
 * @param retryBackoffMin       the first pause before a failed write-back is retried; doubled per failure
 * @param retryBackoffMax       the longest pause between retries of a failing backend
 * @param drainTimeout          how long closing a LUN keeps retrying a failing backend before it gives up and logs the
 *                              data it loses
 * @param statisticsLogInterval how often the cache logs its statistics while it is busy; zero disables the log
 */
public record CacheTuning(int pageSize, double backgroundRatio, double throttleRatio, Duration maxThrottleDelay,
                          Duration dirtyExpire, int maxWriteBytes, int maxBatchWrites, Duration retryBackoffMin,
                          Duration retryBackoffMax, Duration drainTimeout, Duration statisticsLogInterval) {

    public static final CacheTuning DEFAULT = new CacheTuning(4096, 0.10, 0.40, Duration.ofMillis(10),
            Duration.ofSeconds(5), 1 << 20, 64, Duration.ofMillis(10), Duration.ofSeconds(2),
            Duration.ofMinutes(10), Duration.ofMinutes(1));

    public CacheTuning {
        if (pageSize < 512 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a power of two of at least 512");
        }
        if (!(backgroundRatio > 0 && backgroundRatio <= throttleRatio && throttleRatio < 1)) {
            throw new IllegalArgumentException("need 0 < backgroundRatio <= throttleRatio < 1, got "
                    + backgroundRatio + " and " + throttleRatio);
        }
        requireNonNegative(maxThrottleDelay, "maxThrottleDelay");
        requireNonNegative(dirtyExpire, "dirtyExpire");
        requireNonNegative(retryBackoffMin, "retryBackoffMin");
        requireNonNegative(retryBackoffMax, "retryBackoffMax");
        requireNonNegative(drainTimeout, "drainTimeout");
        requireNonNegative(statisticsLogInterval, "statisticsLogInterval");
        if (maxWriteBytes < pageSize || maxBatchWrites < 1) {
            throw new IllegalArgumentException("maxWriteBytes must hold a page and maxBatchWrites be positive");
        }
    }

    private static void requireNonNegative(Duration duration, String name) {
        if (Objects.requireNonNull(duration, name).isNegative()) {
            throw new IllegalArgumentException(name + " " + duration + " is negative");
        }
    }

    public CacheTuning withPageSize(int size) {
        return new CacheTuning(size, backgroundRatio, throttleRatio, maxThrottleDelay, dirtyExpire, maxWriteBytes,
                maxBatchWrites, retryBackoffMin, retryBackoffMax, drainTimeout, statisticsLogInterval);
    }

    public CacheTuning withWatermarks(double background, double throttle) {
        return new CacheTuning(pageSize, background, throttle, maxThrottleDelay, dirtyExpire, maxWriteBytes,
                maxBatchWrites, retryBackoffMin, retryBackoffMax, drainTimeout, statisticsLogInterval);
    }

    public CacheTuning withDirtyExpire(Duration expire) {
        return new CacheTuning(pageSize, backgroundRatio, throttleRatio, maxThrottleDelay, expire, maxWriteBytes,
                maxBatchWrites, retryBackoffMin, retryBackoffMax, drainTimeout, statisticsLogInterval);
    }

    public CacheTuning withRetryBackoff(Duration min, Duration max) {
        return new CacheTuning(pageSize, backgroundRatio, throttleRatio, maxThrottleDelay, dirtyExpire, maxWriteBytes,
                maxBatchWrites, min, max, drainTimeout, statisticsLogInterval);
    }

    public CacheTuning withDrainTimeout(Duration timeout) {
        return new CacheTuning(pageSize, backgroundRatio, throttleRatio, maxThrottleDelay, dirtyExpire, maxWriteBytes,
                maxBatchWrites, retryBackoffMin, retryBackoffMax, timeout, statisticsLogInterval);
    }
}
