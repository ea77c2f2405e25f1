package dev.jtarget.backend.file;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Brings the backing file to the configured size before any I/O: creates it sparse, or checks and (on request) grows
 * an existing one. A LUN must never silently lose capacity, so shrinking is always refused; growing changes what the
 * initiator sees, so it only happens when the configuration asks for it.
 */
final class BackingFile {

    private BackingFile() {
    }

    /** Returns the absolute path of a regular file whose length is exactly {@code options.sizeBytes()}. */
    static Path prepare(FileBackendOptions options) throws IOException {
        Path path = options.path().toAbsolutePath();
        long wanted = options.sizeBytes();
        boolean created = false;
        if (!Files.exists(path)) {
            if (options.readOnly()) {
                throw new IOException("read-only backing file " + path + " does not exist");
            }
            Path parent = path.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createFile(path);
                created = true;
            } catch (FileAlreadyExistsException raced) {
                // Someone else created it between the check and here: treat it like any existing file below.
            }
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + " is not a regular file (block devices use the device backend)");
        }
        long existing = Files.size(path);
        if (existing > wanted) {
            throw new IOException("refusing to shrink " + path + " from " + existing + " to " + wanted
                    + " bytes: that would destroy the data past the new end");
        }
        if (existing < wanted) {
            if (options.readOnly()) {
                throw new IOException("read-only backing file " + path + " is " + existing
                        + " bytes, smaller than the configured " + wanted + " bytes");
            }
            if (!created && !options.grow()) {
                throw new IOException("backing file " + path + " is " + existing + " bytes, smaller than the configured "
                        + wanted + " bytes; allow growing it to enlarge the LUN");
            }
            extendSparse(path, wanted);
        }
        return path;
    }

    /** ftruncate(2) upwards: the new tail is a hole that reads as zeros and takes no space until written. */
    private static void extendSparse(Path path, long length) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(length);
        }
    }
}
