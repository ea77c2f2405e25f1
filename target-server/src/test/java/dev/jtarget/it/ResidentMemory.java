package dev.jtarget.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Samples a process's resident set size ({@code VmRSS} in {@code /proc/PID/status}, Linux) on a background thread:
 * the memory the process really holds in RAM, which is what a bounded cache must bound (page cache of the files it
 * writes is the kernel's, not counted here).
 */
final class ResidentMemory {
    private static final long MIB = 1 << 20;

    private final Path status;
    private final long startBytes;
    private final List<Long> perSecond = new ArrayList<>();
    private final Thread sampler;
    private volatile boolean stopping;
    private volatile long peakBytes;

    private ResidentMemory(long pid, Duration interval) {
        this.status = Path.of("/proc", Long.toString(pid), "status");
        this.startBytes = read();
        this.peakBytes = startBytes;
        this.sampler = Thread.ofPlatform().daemon().name("rss-sampler-" + pid).start(() -> run(interval));
    }

    /** Starts sampling process {@code pid} every {@code interval}. */
    static ResidentMemory sample(long pid, Duration interval) {
        return new ResidentMemory(pid, interval);
    }

    private void run(Duration interval) {
        long nextRecord = System.nanoTime();
        while (!stopping) {
            long rss = read();
            if (rss < 0) {
                return; // the process is gone
            }
            peakBytes = Math.max(peakBytes, rss);
            if (System.nanoTime() - nextRecord >= 0) {
                synchronized (perSecond) {
                    perSecond.add(rss);
                }
                nextRecord += 1_000_000_000L;
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void stop() throws InterruptedException {
        stopping = true;
        sampler.join();
        long last = read();
        if (last >= 0) {
            peakBytes = Math.max(peakBytes, last);
        }
    }

    long startBytes() {
        return startBytes;
    }

    long peakBytes() {
        return peakBytes;
    }

    /** The samples taken once a second, in MiB, separated by spaces. */
    String perSecondMib() {
        synchronized (perSecond) {
            return perSecond.stream().map(bytes -> Long.toString(bytes / MIB)).collect(Collectors.joining(" "));
        }
    }

    /** VmRSS in bytes, or -1 when the process has exited. */
    private long read() {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    // "VmRSS:     123456 kB"
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
            throw new IllegalStateException(status + " has no VmRSS line");
        } catch (IOException e) {
            return -1;
        }
    }
}
