package dev.jtarget.config;

import dev.jtarget.backend.device.DeviceBackend;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Looks at a configured device path, so that a missing or wrong device is reported with the file's line and column
 * instead of failing later at start. A seam for tests, whose machines have no {@code /dev/sdb}.
 */
@FunctionalInterface
interface DeviceProbe {

    enum Status { BLOCK_DEVICE, MISSING, NOT_A_BLOCK_DEVICE }

    Status status(Path path);

    /** The machine's own device nodes. */
    DeviceProbe SYSTEM = path -> {
        if (!Files.exists(path)) {
            return Status.MISSING;
        }
        return DeviceBackend.isBlockDevice(path) ? Status.BLOCK_DEVICE : Status.NOT_A_BLOCK_DEVICE;
    };
}
