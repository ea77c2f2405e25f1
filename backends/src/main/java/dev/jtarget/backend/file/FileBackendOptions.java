package dev.jtarget.backend.file;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to open a {@link FileBackend}.
 *
 * @param path      the backing file; created (with its parent directories) when absent
 * @param sizeBytes the LUN capacity; a positive multiple of {@code blockSize}
 * @param blockSize the logical block size the LUN reports
 * @param readOnly  open the file read-only and refuse writes, discards and write-zeroes
 * @param grow      allow extending an existing smaller file to {@code sizeBytes} (never shrinks)
 * @param ioThreads how many threads the backend owns for file I/O
 * @param direct    open the file with O_DIRECT, bypassing the kernel's page cache; {@code blockSize} must then be a
 *                  multiple of the filesystem's block size ({@link FileBackend#directAlignment})
 */
public record FileBackendOptions(Path path, long sizeBytes, int blockSize, boolean readOnly, boolean grow,
                                 int ioThreads, boolean direct) {

    /** Enough to keep a few requests in flight in the page cache without monopolising a small machine. */
    public static final int DEFAULT_IO_THREADS = 4;

    public FileBackendOptions {
        Objects.requireNonNull(path, "path");
        if (blockSize <= 0) {
            throw new IllegalArgumentException("block size " + blockSize + " must be positive");
        }
        if (sizeBytes <= 0 || sizeBytes % blockSize != 0) {
            throw new IllegalArgumentException(
                    "size " + sizeBytes + " of " + path + " is not a positive multiple of the block size " + blockSize);
        }
        if (ioThreads <= 0) {
            throw new IllegalArgumentException("I/O thread count " + ioThreads + " must be positive");
        }
    }

    /** A writable file that may be created but not grown, served by {@link #DEFAULT_IO_THREADS} threads. */
    public static FileBackendOptions of(Path path, long sizeBytes, int blockSize) {
        return new FileBackendOptions(path, sizeBytes, blockSize, false, false, DEFAULT_IO_THREADS, false);
    }

    public FileBackendOptions withReadOnly(boolean newReadOnly) {
        return new FileBackendOptions(path, sizeBytes, blockSize, newReadOnly, grow, ioThreads, direct);
    }

    public FileBackendOptions withGrow(boolean newGrow) {
        return new FileBackendOptions(path, sizeBytes, blockSize, readOnly, newGrow, ioThreads, direct);
    }

    public FileBackendOptions withIoThreads(int newIoThreads) {
        return new FileBackendOptions(path, sizeBytes, blockSize, readOnly, grow, newIoThreads, direct);
    }

    public FileBackendOptions withDirect(boolean newDirect) {
        return new FileBackendOptions(path, sizeBytes, blockSize, readOnly, grow, ioThreads, newDirect);
    }
}
