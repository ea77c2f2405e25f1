package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.qcow2.Qcow2Overlay;
import dev.jtarget.config.ClonePerInitiatorConfig;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which requests a clone with no space left refuses: writes and partial-cluster zeroing that need new clusters;
 * not overwrites, whole-cluster zeroing or discards. The filesystem's free space follows the overlay's growth.
 */
class SpaceAdmissionTest {
    private static final int CLUSTER = 1 << Qcow2Overlay.DEFAULT_CLUSTER_BITS;
    private static final int BLOCK = 512;

    @TempDir
    Path dir;
    private final FakeStore store = new FakeStore(1L << 30);
    private Path file;
    private long sizeAtOpen;
    private long freeAtOpen;
    private SpaceAdmission clone;

    @BeforeEach
    void open() throws Exception {
        Path golden = dir.resolve("golden.raw");
        Files.write(golden, new byte[1 << 20]);
        file = dir.resolve("clone.qcow2");
        Qcow2Overlay.create(file, golden, 16L * CLUSTER);
        sizeAtOpen = Files.size(file);
        // Room for four clusters and a half: the first write also takes an L2 table.
        freeAtOpen = 4 * CLUSTER + CLUSTER / 2;
        store.free = freeAtOpen;
        SpaceWatch watch = new SpaceWatch(dir, store, new ClonePerInitiatorConfig.Space(90, 0));
        SpaceWatch.Registration space = watch.register("alpha");
        Qcow2Overlay overlay = Qcow2Overlay.open(file, BLOCK, null, space);
        clone = new SpaceAdmission(overlay, overlay, space);
    }

    @AfterEach
    void close() {
        clone.close();
    }

    @Test
    void onlyRequestsThatNeedNewClustersAreRefused() throws Exception {
        succeeds(clone.write(0, data(BLOCK), false)); // an L2 table and a data cluster
        succeeds(clone.write(CLUSTER, data(BLOCK), false));
        succeeds(clone.write(2L * CLUSTER, data(BLOCK), false));
        refused(clone.write(3L * CLUSTER, data(BLOCK), false)); // half a cluster left

        succeeds(clone.write(CLUSTER / 2, data(CLUSTER / 2), false)); // cluster 0 is the clone's own
        succeeds(clone.writeZeroes(4L * CLUSTER, 2L * CLUSTER, false)); // whole clusters: the zero flag only
        refused(clone.writeZeroes(6L * CLUSTER + BLOCK, BLOCK, false)); // part of a cluster: written as zeros
        refused(clone.writeZeroes(7L * CLUSTER - BLOCK, CLUSTER + 2 * BLOCK, false)); // a partial end
        succeeds(clone.discard(CLUSTER, CLUSTER));
        succeeds(clone.flush());
    }

    private void succeeds(CompletableFuture<Void> request) throws Exception {
        request.get(10, TimeUnit.SECONDS);
        store.free = freeAtOpen - (Files.size(file) - sizeAtOpen);
    }

    private static void refused(CompletableFuture<Void> request) {
        ExecutionException failure = assertThrows(ExecutionException.class, () -> request.get(10, TimeUnit.SECONDS));
        BackendException error = assertInstanceOf(BackendException.class, failure.getCause());
        assertEquals(BackendException.Kind.NO_SPACE, error.kind());
    }

    private static ByteBuffer[] data(int length) {
        return new ByteBuffer[] {ByteBuffer.wrap(new byte[length])};
    }
}
