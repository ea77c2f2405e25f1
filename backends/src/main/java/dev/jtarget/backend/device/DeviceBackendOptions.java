package dev.jtarget.backend.device;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to open a {@link DeviceBackend}.
 *
 * @param path      the block device node, for example {@code /dev/sdb} or a stable {@code /dev/disk/by-id/...} link
 * @param readOnly  open the device read-only and refuse writes, discards and write-zeroes
 * @param ioThreads how many threads the backend owns for device I/O
 * @param direct    open the device with O_DIRECT, bypassing the kernel's page cache
 */
public record DeviceBackendOptions(Path path, boolean readOnly, int ioThreads, boolean direct) {

    /** As for files: a few requests in flight without monopolising a small machine. */
    public static final int DEFAULT_IO_THREADS = 4;

    public DeviceBackendOptions {
        Objects.requireNonNull(path, "path");
        if (ioThreads <= 0) {
            throw new IllegalArgumentException("I/O thread count " + ioThreads + " must be positive");
        }
    }

    /** A writable device served by {@link #DEFAULT_IO_THREADS} threads. */
    public static DeviceBackendOptions of(Path path) {
        return new DeviceBackendOptions(path, false, DEFAULT_IO_THREADS, false);
    }

    public DeviceBackendOptions withReadOnly(boolean newReadOnly) {
        return new DeviceBackendOptions(path, newReadOnly, ioThreads, direct);
    }

    public DeviceBackendOptions withDirect(boolean newDirect) {
        return new DeviceBackendOptions(path, readOnly, ioThreads, newDirect);
    }
}
