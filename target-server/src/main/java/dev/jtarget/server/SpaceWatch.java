package dev.jtarget.server;

import dev.jtarget.backend.qcow2.SpaceAccount;
import dev.jtarget.config.ClonePerInitiatorConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The free space of the filesystem holding one clone directory, shared by the clones in it.
 *
 * <p>The write-back cache acknowledges a write before the overlay allocates the write's cluster, so space is checked
 * when a write is accepted, not when it is written back: each clone's overlay promises here the clusters a write may
 * allocate ({@link SpaceAccount#promise}). A promise is granted while the free space, less what the overlays
 * allocated since the last sample and what earlier promises still need, stays above the reserve (metadata growth and
 * other writers); otherwise the write is refused at once with SPACE ALLOCATION FAILED. The filesystem is sampled
 * every second and whenever a refusal is near, so space that comes back (UNMAP, deleted files) is seen at once.
 *
 * <p>The soft threshold is a share of the filesystem in use, promises included. Crossing it upwards tells every
 * clone once (its initiators get THIN PROVISIONING SOFT THRESHOLD REACHED) and logs a warning; it re-arms when use
 * falls a percent below it again, so a filesystem hovering at the line does not warn every second.
 */
final class SpaceWatch {
    private static final Logger log = LoggerFactory.getLogger(SpaceWatch.class);
    private static final long SAMPLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MINIMUM_AUTOMATIC_RESERVE = 1L << 20;
    /** Percent points below the soft threshold that re-arm it. */
    private static final int REARM_MARGIN_PERCENT = 1;

    private final Path directory;
    private final FileStore store;
    private final int softThresholdPercent;
    private final long configuredReserve;
    /** Promised to accepted writes and not yet allocated. */
    private final AtomicLong promised = new AtomicLong();
    /** Allocated by the overlays since the last sample: free space the sample does not show yet. */
    private final AtomicLong allocatedSinceSample = new AtomicLong();
    private final Set<Registration> clones = ConcurrentHashMap.newKeySet();
    private volatile Sample last;
    private final Object sampling = new Object();
    /** Guarded by this: the soft threshold was crossed upwards and not re-armed since. */
    private boolean aboveSoftThreshold;
    /** The last promise was refused (logged once until one is granted again); changed under this. */
    private volatile boolean refusing;
    /** Guarded by this: samples every second while any clone is open. */
    private ScheduledExecutorService sampler;

    /** One reading of the filesystem. */
    private record Sample(long free, long total, long atNanos) {
    }

    SpaceWatch(Path directory, ClonePerInitiatorConfig.Space limits) throws IOException {
        this(directory, Files.getFileStore(directory), limits);
    }

    /** Watches {@code store}, the filesystem of {@code directory}. */
    SpaceWatch(Path directory, FileStore store, ClonePerInitiatorConfig.Space limits) throws IOException {
        this.directory = directory;
        this.store = store;
        this.softThresholdPercent = limits.softThresholdPercent();
        this.configuredReserve = limits.reserveBytes();
        this.last = read();
    }

    /**
     * Starts watching for a clone, before its overlay opens: the overlay reports to the returned account. The clone's
     * logical unit hears of the soft threshold once it exists ({@link Registration#onSoftThreshold}).
     */
    Registration register(String clone) {
        Registration registration = new Registration(clone);
        synchronized (this) {
            clones.add(registration);
            if (sampler == null) {
                sampler = Executors.newSingleThreadScheduledExecutor(
                        Thread.ofPlatform().name("space-watch-" + directory.getFileName()).daemon().factory());
                sampler.scheduleWithFixedDelay(this::sampleQuietly, 1, 1, TimeUnit.SECONDS);
            }
        }
        return registration;
    }

    private synchronized void unregister(Registration registration) {
        if (clones.remove(registration) && clones.isEmpty() && sampler != null) {
            sampler.shutdown();
            sampler = null;
        }
    }

    /** The reserve in bytes: configured, or 1% of the filesystem and at least 1 MiB. */
    long reserve() {
        return configuredReserve != ClonePerInitiatorConfig.Space.AUTOMATIC_RESERVE ? configuredReserve
                : Math.max(MINIMUM_AUTOMATIC_RESERVE, last.total() / 100);
    }

    /** What new promises may still take: free space less allocations not yet sampled, open promises, the reserve. */
    private long unpromised(Sample sample, long promisedNow) {
        return sample.free() - allocatedSinceSample.get() - promisedNow - reserve();
    }

    private boolean promise(long bytes) {
        Sample sample = last;
        if (System.nanoTime() - sample.atNanos() > SAMPLE_NANOS || unpromised(sample, promised.get()) < bytes) {
            sample = sampleQuietly(); // a refusal must rest on a fresh reading: the space may have come back
        }
        while (true) {
            long promisedNow = promised.get();
            if (unpromised(sample, promisedNow) < bytes) {
                refused(sample, bytes);
                return false;
            }
            if (promised.compareAndSet(promisedNow, promisedNow + bytes)) {
                accepted();
                return true;
            }
        }
    }

    /** {@link #sample}, or the last reading when the filesystem cannot be read now (logged). */
    private Sample sampleQuietly() {
        try {
            return sample();
        } catch (UncheckedIOException e) {
            log.warn("cannot read the free space of {}: {}", directory, e.getCause().toString());
            return last;
        }
    }

    /** Reads the filesystem, then checks the soft threshold (every second, and now when a refusal is near). */
    Sample sample() {
        Sample sample;
        synchronized (sampling) { // one reading at a time, so an older one never replaces a newer one
            // Reset first, then read: an allocation in between is counted twice (safe), none is missed.
            allocatedSinceSample.set(0);
            try {
                sample = read();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            last = sample;
        }
        checkSoftThreshold(sample);
        return sample;
    }

    private Sample read() throws IOException {
        return new Sample(store.getUsableSpace(), store.getTotalSpace(), System.nanoTime());
    }

    private void checkSoftThreshold(Sample sample) {
        long used = sample.total() - sample.free() + allocatedSinceSample.get() + promised.get();
        long percent = sample.total() == 0 ? 0 : Math.min(100, used * 100 / sample.total());
        boolean reached;
        synchronized (this) {
            if (!aboveSoftThreshold && percent >= softThresholdPercent) {
                reached = true;
            } else if (aboveSoftThreshold && percent < softThresholdPercent - REARM_MARGIN_PERCENT) {
                reached = false;
            } else {
                return;
            }
            aboveSoftThreshold = reached;
        }
        if (reached) {
            log.warn("clone directory {}: {}% of its filesystem in use ({} of {} bytes free, {} promised to "
                            + "accepted writes), at or above the soft threshold of {}%: telling the initiators of "
                            + "clones {}; writes needing new clusters fail below {} bytes free", directory, percent,
                    sample.free(), sample.total(), promised.get(), softThresholdPercent, clones, reserve());
        } else {
            log.info("clone directory {}: {}% of its filesystem in use, below the soft threshold of {}% again",
                    directory, percent, softThresholdPercent);
        }
        clones.forEach(clone -> clone.tell(reached));
    }

    private synchronized boolean aboveSoftThreshold() {
        return aboveSoftThreshold;
    }

    private void refused(Sample sample, long bytes) {
        synchronized (this) {
            if (refusing) {
                return;
            }
            refusing = true;
        }
        log.warn("clone directory {}: {} bytes free of {}, {} promised to accepted writes, reserve {}: writes that "
                        + "need new clusters (this one {} bytes) fail with SPACE ALLOCATION FAILED until space comes "
                        + "back", directory, sample.free(), sample.total(), promised.get(), reserve(), bytes);
    }

    private void accepted() {
        if (!refusing) {
            return; // the common case, without taking the monitor
        }
        synchronized (this) {
            if (!refusing) {
                return;
            }
            refusing = false;
        }
        log.info("clone directory {}: space for new clusters again ({} bytes free)", directory, last.free());
    }

    /** One clone's account; closing it ends the watch for that clone. */
    final class Registration implements SpaceAccount, AutoCloseable {
        private final String clone;
        private volatile Consumer<Boolean> softThreshold = reached -> { };

        private Registration(String clone) {
            this.clone = clone;
        }

        /**
         * Who hears the clone's soft threshold crossings (true: upwards), told at once when the filesystem is above
         * it already.
         */
        void onSoftThreshold(Consumer<Boolean> listener) {
            softThreshold = listener;
            if (aboveSoftThreshold()) {
                listener.accept(true);
            }
        }

        private void tell(boolean reached) {
            softThreshold.accept(reached);
        }

        @Override
        public boolean promise(long bytes) {
            return SpaceWatch.this.promise(bytes);
        }

        @Override
        public void cancel(long bytes) {
            promised.updateAndGet(value -> Math.max(0, value - bytes));
        }

        @Override
        public void allocated(long bytes, long promisedBytes) {
            cancel(promisedBytes);
            allocatedSinceSample.addAndGet(bytes);
        }

        @Override
        public void close() {
            unregister(this);
        }

        @Override
        public String toString() {
            return clone;
        }
    }
}
