package dev.jtarget.config;

import dev.jtarget.backend.device.DeviceBackend;
import dev.jtarget.backend.file.FileBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Looks at a configured device path (and the storage under a backing file), so that a missing or wrong device or a
 * block size the storage cannot take is reported with the file's line and column instead of failing later at start.
 * A seam for tests, whose machines have no {@code /dev/sdb}.
 */
@FunctionalInterface
interface DeviceProbe {

    enum Status { BLOCK_DEVICE, MISSING, NOT_A_BLOCK_DEVICE }

    Status status(Path path);

    /** The logical block size of the block device at {@code path}; empty when it cannot be read. */
    default OptionalInt logicalBlockSize(Path path) {
        try {
            return OptionalInt.of(DeviceBackend.logicalBlockSize(path));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /** The block size of the filesystem that holds (or will hold) the file {@code path}; empty when unknown. */
    default OptionalInt fileSystemBlockSize(Path path) {
        try {
            return OptionalInt.of(FileBackend.directAlignment(path));
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /** The machine's own device nodes. */
    DeviceProbe SYSTEM = path -> {
        if (!Files.exists(path)) {
            return Status.MISSING;
        }
        return DeviceBackend.isBlockDevice(path) ? Status.BLOCK_DEVICE : Status.NOT_A_BLOCK_DEVICE;
    };
}
