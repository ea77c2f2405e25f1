package dev.jtarget.backend.file;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The whole contract again with hole punching off, as on a filesystem without it: discards write zeros. */
class FileBackendZeroWritingContractTest extends BlockBackendContract {
    @TempDir
    Path directory;
    private final AtomicInteger files = new AtomicInteger();

    @Override
    protected BlockBackend newBackend(long sizeBytes, int blockSize) throws Exception {
        Path path = directory.resolve("lun-" + files.incrementAndGet() + ".img");
        return FileBackend.open(FileBackendOptions.of(path, sizeBytes, blockSize), false);
    }
}
