package dev.jtarget.backend.qcow2;

import static dev.jtarget.backend.BackendTestSupport.TIMEOUT_SECONDS;
import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static dev.jtarget.backend.BackendTestSupport.read;
import static dev.jtarget.backend.qcow2.Qcow2TestImages.BLOCK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An overlay on a tmpfs of 2 MiB that random writes fill up: writes that need a new cluster then fail with NO_SPACE,
 * everything else keeps working, and the image stays clean for qemu-img (neither corruption nor leaked clusters)
 * with every write that succeeded in it.
 */
class Qcow2OutOfSpaceTest {
    /**
     * 512-byte clusters: an L2 table maps 32 KiB and a refcount block counts 128 KiB of file, so new tables and
     * blocks keep being needed while the space runs out.
     */
    private static final int CLUSTER_BITS = 9;
    private static final int CLUSTER = 1 << CLUSTER_BITS;
    /** Clusters of a whole tmpfs page: a freed one can be given back to the filesystem. */
    private static final int PAGE_CLUSTER_BITS = 12;
    private static final int GOLDEN_BYTES = 4 << 20;
    private static final int VIRTUAL_SIZE = 64 << 20;

    @TempDir
    Path directory;

    @Test
    void writesThatNeedSpaceFailCleanlyWhenTheFilesystemIsFull() throws Exception {
        Random random = new Random(Qcow2TestImages.seed("Qcow2OutOfSpaceTest"));
        Path golden = directory.resolve("golden.raw");
        byte[] model = Qcow2TestImages.modelOver(Qcow2TestImages.writeGolden(golden, GOLDEN_BYTES, random),
                VIRTUAL_SIZE);
        Path small = Files.createDirectory(directory.resolve("small"));
        try (SmallTmpfs ignored = SmallTmpfs.mount(small, 2)) {
            Path overlay = small.resolve("clone.qcow2");
            Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE, CLUSTER_BITS);
            Accounting accounting = new Accounting();
            int refused;
            try (Qcow2Overlay clone = Qcow2Overlay.open(overlay, BLOCK, null, accounting)) {
                boolean[] written = new boolean[VIRTUAL_SIZE / CLUSTER];
                refused = fill(clone, model, written, random);
                await(clone.flush()); // nothing left to allocate: metadata write-back needs no new space
                // Overwriting a cluster the overlay owns needs no space either.
                long owned = (long) firstTrue(written) * CLUSTER;
                byte[] again = randomBytes(random, CLUSTER);
                await(clone.write(owned, new ByteBuffer[] {buffer(again, false)}, true));
                System.arraycopy(again, 0, model, (int) owned, CLUSTER);
                assertArrayEquals(model, read(clone, 0, VIRTUAL_SIZE));
            }
            System.out.println(refused + " writes refused; overlay " + Files.size(overlay) + " bytes, "
                    + accounting.allocated.get() + " bytes allocated");
            assertTrue(refused > 0, "the tmpfs never filled up");
            assertTrue(accounting.allocated.get() > 0);
            QemuImg.assumeInstalled();
            QemuImg.assertCheckClean(overlay);
            try (Qcow2Overlay reopened = Qcow2Overlay.open(overlay, BLOCK)) {
                assertArrayEquals(model, read(reopened, 0, VIRTUAL_SIZE));
            }
        }
    }

    @Test
    void discardedClustersGiveTheirSpaceBackToTheFilesystem() throws Exception {
        Random random = new Random(Qcow2TestImages.seed("Qcow2OutOfSpaceTest discard"));
        Path golden = directory.resolve("golden.raw");
        byte[] model = Qcow2TestImages.modelOver(Qcow2TestImages.writeGolden(golden, GOLDEN_BYTES, random),
                VIRTUAL_SIZE);
        Path small = Files.createDirectory(directory.resolve("small"));
        try (SmallTmpfs ignored = SmallTmpfs.mount(small, 2)) {
            Path overlay = small.resolve("clone.qcow2");
            Qcow2Overlay.create(overlay, golden, VIRTUAL_SIZE, PAGE_CLUSTER_BITS);
            try (Qcow2Overlay clone = Qcow2Overlay.open(overlay, BLOCK)) {
                int cluster = 1 << PAGE_CLUSTER_BITS;
                boolean[] written = new boolean[VIRTUAL_SIZE / cluster];
                assertTrue(fill(clone, model, written, random) > 0);
                long freeWhenFull = Files.getFileStore(small).getUsableSpace();
                // Only written clusters: zeroing others would need new L2 tables, for which there is no space.
                for (int index = 0; index < written.length; index++) {
                    if (written[index]) {
                        await(clone.discard((long) index * cluster, cluster));
                        Arrays.fill(model, index * cluster, (index + 1) * cluster, (byte) 0);
                    }
                }
                await(clone.flush());
                long freeAfterDiscard = Files.getFileStore(small).getUsableSpace();
                System.out.println("free: " + freeWhenFull + " bytes when full, " + freeAfterDiscard
                        + " after discarding every cluster written");
                assertTrue(freeAfterDiscard > freeWhenFull + (1 << 20), "holes were punched");
                byte[] data = randomBytes(random, 64 << 10);
                await(clone.write(VIRTUAL_SIZE / 2, new ByteBuffer[] {buffer(data, false)}, true));
                System.arraycopy(data, 0, model, VIRTUAL_SIZE / 2, data.length);
                assertArrayEquals(model, read(clone, 0, VIRTUAL_SIZE));
            }
            QemuImg.assumeInstalled();
            QemuImg.assertCheckClean(overlay);
        }
    }

    /**
     * Random writes, each inside one cluster so that a refused one leaves the old data, with the odd flush, until
     * 50 writes in a row were refused; returns how many were.
     */
    private static int fill(Qcow2Overlay clone, byte[] model, boolean[] written, Random random) throws Exception {
        int clusterSize = (int) clone.clusterSize();
        int refused = 0;
        int refusedInARow = 0;
        for (int operation = 0; refusedInARow < 50; operation++) {
            int length = (1 + random.nextInt(clusterSize / BLOCK)) * BLOCK;
            int cluster = random.nextInt(VIRTUAL_SIZE / clusterSize);
            int offset = cluster * clusterSize + random.nextInt((clusterSize - length) / BLOCK + 1) * BLOCK;
            byte[] data = randomBytes(random, length);
            try {
                clone.write(offset, new ByteBuffer[] {buffer(data, random.nextBoolean())}, random.nextInt(8) == 0)
                        .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                System.arraycopy(data, 0, model, offset, length);
                written[cluster] = true;
                refusedInARow = 0;
            } catch (ExecutionException e) {
                BackendException failure = (BackendException) e.getCause();
                assertEquals(Kind.NO_SPACE, failure.kind(), failure.toString());
                refused++;
                refusedInARow++;
            }
            if (operation % 32 == 0) {
                await(clone.flush());
            }
        }
        return refused;
    }

    private static int firstTrue(boolean[] flags) {
        for (int i = 0; i < flags.length; i++) {
            if (flags[i]) {
                return i;
            }
        }
        throw new AssertionError("no write succeeded");
    }

    /** Counts what the overlay reports and never refuses a promise (the filesystem refuses instead). */
    private static final class Accounting implements SpaceAccount {
        final AtomicLong allocated = new AtomicLong();

        @Override
        public boolean promise(long bytes) {
            return true;
        }

        @Override
        public void cancel(long bytes) {
        }

        @Override
        public void allocated(long bytes, long promisedBytes) {
            assertFalse(bytes < 0 || promisedBytes < 0);
            allocated.addAndGet(bytes);
        }
    }
}
