package dev.jtarget.backend.qcow2;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract over overlays of an all-zero (sparse) golden image, so a fresh overlay reads as zeros, with
 * QEMU's default 64 KiB clusters ({@link Qcow2SmallClusterContractTest} repeats it with 512-byte clusters).
 */
class Qcow2OverlayContractTest extends BlockBackendContract {
    @TempDir
    Path directory;
    private final AtomicInteger images = new AtomicInteger();

    int clusterBits() {
        return Qcow2Overlay.DEFAULT_CLUSTER_BITS;
    }

    @Override
    protected BlockBackend newBackend(long sizeBytes, int blockSize) throws Exception {
        int number = images.incrementAndGet();
        Path golden = directory.resolve("golden-" + number + ".raw");
        try (RandomAccessFile sparse = new RandomAccessFile(golden.toFile(), "rw")) {
            sparse.setLength(sizeBytes);
        }
        Path overlay = directory.resolve("clone-" + number + ".qcow2");
        Qcow2Overlay.create(overlay, golden, sizeBytes, clusterBits());
        return Qcow2Overlay.open(overlay, blockSize);
    }
}
