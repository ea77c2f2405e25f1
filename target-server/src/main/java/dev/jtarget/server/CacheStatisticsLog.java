package dev.jtarget.server;

import dev.jtarget.cache.CacheStatistics;
import dev.jtarget.cache.WriteBackCache;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the write-back cache's per-LUN statistics (dirty bytes, arena use, flush throughput, absorbed overwrites,
 * throttled writers, backend errors) on a timer — but only for a LUN that holds dirty data or saw activity since the
 * last line, so an idle server stays quiet. The flush rate in a line is measured since the previous line for that LUN.
 */
final class CacheStatisticsLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CacheStatisticsLog.class);

    private final WriteBackCache cache;
    private final Map<String, CacheStatistics> previous = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "cache-statistics");
        thread.setDaemon(true);
        return thread;
    });

    private CacheStatisticsLog(WriteBackCache cache) {
        this.cache = cache;
    }

    static CacheStatisticsLog every(Duration interval, WriteBackCache cache) {
        CacheStatisticsLog statisticsLog = new CacheStatisticsLog(cache);
        statisticsLog.timer.scheduleWithFixedDelay(statisticsLog::logActiveLuns, interval.toMillis(),
                interval.toMillis(), TimeUnit.MILLISECONDS);
        return statisticsLog;
    }

    private void logActiveLuns() {
        try {
            for (CacheStatistics now : cache.lunStatistics()) {
                CacheStatistics earlier = previous.put(now.scope(), now);
                boolean active = earlier == null ? now.writes() > 0 || now.backendErrors() > 0
                        : now.writes() != earlier.writes() || now.flushedBytes() != earlier.flushedBytes()
                                || now.backendErrors() != earlier.backendErrors();
                if (now.dirtyBytes() > 0 || active) {
                    log.info("{}", now.toLogLine(earlier));
                }
            }
        } catch (RuntimeException e) {
            // A statistics failure must not end the timer (a scheduled task that throws is never run again).
            log.warn("cannot log cache statistics", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
