package dev.jtarget.config;

import dev.jtarget.backend.nbd.NbdUri;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/** Where a LUN's blocks live; one record per backend element of the XML, and one for the delay decorator. */
public sealed interface BackendConfig {

    /**
     * {@code <file path=".." size=".." direct=".."/>}: a sparse file, created at {@code sizeBytes} if absent.
     *
     * @param direct open it with O_DIRECT, bypassing the kernel's page cache
     */
    record File(Path path, long sizeBytes, boolean direct) implements BackendConfig {
    }

    /** {@code <memory size=".."/>}: a RAM disk, lost at exit. */
    record Memory(long sizeBytes) implements BackendConfig {
    }

    /**
     * {@code <device path=".." direct=".."/>}: a raw block device, held exclusively; its size is the device's.
     *
     * @param direct open it with O_DIRECT, bypassing the kernel's page cache
     */
    record Device(Path path, boolean direct) implements BackendConfig {
    }

    /**
     * {@code <nbd uri=".." timeout=".."/>}: an export of a remote NBD peer; its size is the export's.
     *
     * @param timeout how long a read or write waits while the peer is unreachable before it fails (NOT READY)
     */
    record Nbd(NbdUri uri, Duration timeout) implements BackendConfig {
    }

    /**
     * A {@code <delay write=".." read=".." queue-depth=".."/>} after the backend element: the backend with fixed
     * latencies in front, a test and benchmark aid like dm-delay.
     *
     * @param queueDepth how many requests the simulated device works on at once; 0 for no limit
     */
    record Delayed(BackendConfig backend, Duration writeDelay, Duration readDelay, int queueDepth)
            implements BackendConfig {
        public Delayed {
            Objects.requireNonNull(backend, "backend");
            if (queueDepth < 0) {
                throw new IllegalArgumentException("queue depth " + queueDepth + " is negative");
            }
            if (backend instanceof Delayed) {
                throw new IllegalArgumentException("a backend is delayed once, not twice");
            }
        }
    }
}
