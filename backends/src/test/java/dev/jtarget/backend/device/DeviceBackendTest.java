package dev.jtarget.backend.device;

import static dev.jtarget.backend.BackendTestSupport.assertFailsWith;
import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static dev.jtarget.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The raw device backend on a loop device: exclusivity, real deallocation, size and capabilities. */
@Tag("integration")
class DeviceBackendTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path directory;
    private LoopDevice loop;

    @BeforeEach
    void attachLoopDevice() throws Exception {
        LoopDevice.assumeAvailable();
        loop = LoopDevice.attach(32 * MIB, 512);
    }

    @AfterEach
    void detachLoopDevice() throws Exception {
        if (loop != null) {
            loop.close();
        }
    }

    @Test
    void sizeAndBlockSizeComeFromTheDeviceAndALoopDevicePromisesZerosAfterDiscard() throws Exception {
        try (DeviceBackend backend = DeviceBackend.open(DeviceBackendOptions.of(loop.device()))) {
            assertEquals(32 * MIB, backend.sizeBytes());
            assertEquals(512, backend.blockSize());
            assertEquals(new BackendCapabilities(true, true, true, false), backend.capabilities());
            assertEquals("device " + loop.device(), backend.describe());
        }
        assertEquals(512, DeviceBackend.logicalBlockSize(loop.device()), "read from sysfs without opening");
    }

    @Test
    void discardReallyDeallocatesTheLoopDevicesBackingFile() throws Exception {
        try (DeviceBackend backend = DeviceBackend.open(DeviceBackendOptions.of(loop.device()))) {
            byte[] data = randomBytes(new Random(1), (int) (16 * MIB));
            await(backend.write(0, new ByteBuffer[] {buffer(data, true)}, false));
            await(backend.flush());
            long written = loop.backingFileAllocatedBytes();
            assertTrue(written >= 16 * MIB, "the written data is allocated in the backing file: " + written);

            await(backend.discard(4 * MIB, 8 * MIB));
            await(backend.flush());

            long discarded = loop.backingFileAllocatedBytes();
            assertTrue(discarded <= written - 8 * MIB, "du shrinks by the discarded 8 MiB: " + written + " -> "
                    + discarded);
            assertArrayEquals(new byte[(int) (8 * MIB)], read(backend, 4 * MIB, (int) (8 * MIB)));
            assertArrayEquals(Arrays.copyOfRange(data, 0, (int) (4 * MIB)),
                    read(backend, 0, (int) (4 * MIB)), "the data before the range is intact");
            assertArrayEquals(Arrays.copyOfRange(data, (int) (12 * MIB), (int) (16 * MIB)),
                    read(backend, 12 * MIB, (int) (4 * MIB)), "the data after the range is intact");
        }
    }

    @Test
    void writeZeroesAlsoDeallocatesOnALoopDevice() throws Exception {
        try (DeviceBackend backend = DeviceBackend.open(DeviceBackendOptions.of(loop.device()))) {
            await(backend.write(0, new ByteBuffer[] {buffer(randomBytes(new Random(2), (int) (8 * MIB)), false)},
                    true));
            long written = loop.backingFileAllocatedBytes();

            await(backend.writeZeroes(0, 8 * MIB, true));

            long zeroed = loop.backingFileAllocatedBytes();
            assertTrue(zeroed <= written - 8 * MIB, "du shrinks by the zeroed 8 MiB: " + written + " -> " + zeroed);
            assertArrayEquals(new byte[(int) (8 * MIB)], read(backend, 0, (int) (8 * MIB)));
        }
    }

    @Test
    void theDeviceIsHeldExclusivelyUntilClosed() throws Exception {
        DeviceBackend first = DeviceBackend.open(DeviceBackendOptions.of(loop.device()));
        try {
            IOException refused = assertThrows(IOException.class,
                    () -> DeviceBackend.open(DeviceBackendOptions.of(loop.device())));
            assertTrue(refused.getMessage().contains("is in use"), refused.getMessage());
        } finally {
            first.close();
        }
        DeviceBackend.open(DeviceBackendOptions.of(loop.device()).withReadOnly(true)).close();
    }

    @Test
    void readOnlyDeviceReadsButRefusesEveryChange() throws Exception {
        byte[] data = randomBytes(new Random(3), 4096);
        try (DeviceBackend writable = DeviceBackend.open(DeviceBackendOptions.of(loop.device()))) {
            await(writable.write(8192, new ByteBuffer[] {buffer(data, false)}, true));
        }
        try (DeviceBackend backend = DeviceBackend.open(DeviceBackendOptions.of(loop.device()).withReadOnly(true))) {
            assertTrue(backend.capabilities().readOnly());
            assertFalse(backend.capabilities().canDiscard());
            assertArrayEquals(data, read(backend, 8192, data.length));
            assertFailsWith(Kind.READ_ONLY, backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(512)}, false));
            assertFailsWith(Kind.READ_ONLY, backend.discard(0, 512));
            assertFailsWith(Kind.READ_ONLY, backend.writeZeroes(0, 512, false));
            await(backend.flush());
        }
    }

    @Test
    void requestsNotInWholeLogicalBlocksAreRefused() throws Exception {
        try (DeviceBackend backend = DeviceBackend.open(DeviceBackendOptions.of(loop.device()))) {
            assertFailsWith(Kind.OUT_OF_RANGE, backend.discard(256, 512));
            assertFailsWith(Kind.OUT_OF_RANGE, backend.writeZeroes(0, 700, false));
        }
    }

    @Test
    void aRegularFileIsNotADevice() throws Exception {
        Path file = Files.write(directory.resolve("plain.img"), new byte[4096]);
        assertFalse(DeviceBackend.isBlockDevice(file));
        assertTrue(DeviceBackend.isBlockDevice(loop.device()));
        IOException refused = assertThrows(IOException.class,
                () -> DeviceBackend.open(DeviceBackendOptions.of(file)));
        assertTrue(refused.getMessage().contains("is not a block device"), refused.getMessage());
        IOException missing = assertThrows(IOException.class,
                () -> DeviceBackend.open(DeviceBackendOptions.of(directory.resolve("sdz"))));
        assertTrue(missing.getMessage().startsWith("no such device: "), missing.getMessage());
    }
}
