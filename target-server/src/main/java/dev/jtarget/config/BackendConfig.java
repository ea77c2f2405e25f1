package dev.jtarget.config;

import java.nio.file.Path;

/** Where a LUN's blocks live; one record per backend element of the XML. */
public sealed interface BackendConfig {

    /** {@code <file path=".." size=".."/>}: a sparse file, created at {@code sizeBytes} if absent. */
    record File(Path path, long sizeBytes) implements BackendConfig {
    }

    /** {@code <memory size=".."/>}: a RAM disk, lost at exit. */
    record Memory(long sizeBytes) implements BackendConfig {
    }
}
