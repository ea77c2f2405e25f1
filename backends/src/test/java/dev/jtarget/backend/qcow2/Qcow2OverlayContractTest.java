package dev.jtarget.backend.qcow2;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend contract over overlays of an all-zero (sparse) golden image, so a fresh overlay reads as zeros: with
 * QEMU's default 64 KiB clusters, and with 512-byte clusters, where the contract's 8 MiB disk needs 256 L2 tables
 * (more than the table cache holds) and 64 refcount blocks.
 */
class Qcow2OverlayContractTest {

    abstract static class OverlayContract extends BlockBackendContract {
        @TempDir
        Path directory;
        private final AtomicInteger images = new AtomicInteger();

        abstract int clusterBits();

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

    @Nested
    class DefaultClusters extends OverlayContract {
        @Override
        int clusterBits() {
            return Qcow2Overlay.DEFAULT_CLUSTER_BITS;
        }
    }

    @Nested
    class SmallestClusters extends OverlayContract {
        @Override
        int clusterBits() {
            return 9;
        }
    }
}
