package dev.jtarget.server;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.file.FileBackend;
import dev.jtarget.backend.file.FileBackendOptions;
import dev.jtarget.backend.memory.MemoryBackend;
import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.LunConfig;
import java.nio.file.Path;

/** Opens the backend a LUN's configuration names. */
final class Backends {
    private Backends() {
    }

    static BlockBackend open(LunConfig lun, Path baseDir) throws java.io.IOException {
        return switch (lun.backend()) {
            case BackendConfig.File file -> FileBackend.open(FileBackendOptions
                    .of(baseDir.resolve(file.path()), file.sizeBytes(), lun.blockSize())
                    .withReadOnly(lun.readOnly()));
            case BackendConfig.Memory memory -> new MemoryBackend(memory.sizeBytes(), lun.blockSize());
        };
    }
}
