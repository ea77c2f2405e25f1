package dev.jtarget.server;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.delay.DelayedBackend;
import dev.jtarget.backend.device.DeviceBackend;
import dev.jtarget.backend.device.DeviceBackendOptions;
import dev.jtarget.backend.file.FileBackend;
import dev.jtarget.backend.file.FileBackendOptions;
import dev.jtarget.backend.memory.MemoryBackend;
import dev.jtarget.backend.nbd.NbdBackend;
import dev.jtarget.backend.nbd.NbdClientOptions;
import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.LunConfig;
import java.io.IOException;
import java.nio.file.Path;

/** Opens the backend a LUN's configuration names. */
final class Backends {
    private Backends() {
    }

    /**
     * @throws IOException when the file, device or NBD peer cannot be opened (missing, in use, unreachable, or its
     *                     size conflicts with the configuration)
     */
    static BlockBackend open(LunConfig lun, Path baseDir) throws IOException {
        return open(lun.backend(), lun, baseDir);
    }

    private static BlockBackend open(BackendConfig backend, LunConfig lun, Path baseDir) throws IOException {
        return switch (backend) {
            case BackendConfig.File file -> FileBackend.open(FileBackendOptions
                    .of(baseDir.resolve(file.path()), file.sizeBytes(), lun.blockSize())
                    .withReadOnly(lun.readOnly())
                    .withDirect(file.direct()));
            case BackendConfig.Memory memory -> new MemoryBackend(memory.sizeBytes(), lun.blockSize());
            case BackendConfig.Device device -> DeviceBackend.open(DeviceBackendOptions
                    .of(baseDir.resolve(device.path()))
                    .withReadOnly(lun.readOnly())
                    .withDirect(device.direct()));
            // The export's block size is whatever the peer requires (at least 512); the LUN's must be a multiple.
            case BackendConfig.Nbd nbd -> NbdBackend.connect(nbd.uri(),
                    NbdClientOptions.defaults().withUnavailableTimeout(nbd.timeout()));
            case BackendConfig.Delayed delayed -> new DelayedBackend(open(delayed.backend(), lun, baseDir),
                    delayed.writeDelay(), delayed.readDelay(), delayed.queueDepth());
        };
    }
}
