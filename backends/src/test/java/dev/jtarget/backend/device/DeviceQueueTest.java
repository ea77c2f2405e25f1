package dev.jtarget.backend.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.device.DeviceQueue.DiscardMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the sysfs queue attributes make the device backend promise, on hand-made sysfs trees. */
class DeviceQueueTest {
    @TempDir
    Path sys;

    private Path disk(String name, String... attributes) throws IOException {
        Path disk = Files.createDirectories(sys.resolve(name));
        Path queue = Files.createDirectories(disk.resolve("queue"));
        for (int i = 0; i < attributes.length; i += 2) {
            Files.writeString(queue.resolve(attributes[i]), attributes[i + 1] + "\n");
        }
        return disk;
    }

    @Test
    void aDiskThatCanDiscardPromisesNoZeros() throws IOException {
        DeviceQueue queue = DeviceQueue.read(disk("sda", "discard_max_bytes", "2147450880",
                "discard_zeroes_data", "0", "write_zeroes_unmap_max_bytes", "0"));
        assertEquals("sda", queue.name());
        assertEquals(DiscardMode.BLKDISCARD, queue.discardMode());
        assertFalse(queue.discardReadsZeros());
    }

    @Test
    void aDiskThatCannotDiscardDoesNothingOnDiscard() throws IOException {
        DeviceQueue queue = DeviceQueue.read(disk("sdb", "discard_max_bytes", "0"));
        assertEquals(DiscardMode.NONE, queue.discardMode());
        assertFalse(queue.discardReadsZeros());
    }

    @Test
    void aLoopDevicesDiscardPunchesHolesSoItReadsZeros() throws IOException {
        Path loop = disk("loop3", "discard_max_bytes", "4294966784", "discard_zeroes_data", "0");
        Files.createDirectories(loop.resolve("loop"));
        DeviceQueue queue = DeviceQueue.read(loop);
        assertTrue(queue.loop());
        assertEquals(DiscardMode.BLKDISCARD, queue.discardMode());
        assertTrue(queue.discardReadsZeros());
    }

    @Test
    void oldKernelsDiscardZeroesDataFlagIsBelieved() throws IOException {
        DeviceQueue queue = DeviceQueue.read(disk("sdc", "discard_max_bytes", "1048576", "discard_zeroes_data", "1"));
        assertTrue(queue.discardReadsZeros());
    }

    @Test
    void aDeviceWhoseWriteZeroesUnmapsDiscardsThatWayAndReadsZeros() throws IOException {
        DeviceQueue queue = DeviceQueue.read(disk("nvme0n1", "discard_max_bytes", "2199023255040",
                "write_zeroes_unmap_max_bytes", "2199023255040"));
        assertEquals(DiscardMode.UNMAPPING_WRITE_ZEROES, queue.discardMode());
        assertTrue(queue.discardReadsZeros());
    }

    @Test
    void aPartitionUsesItsDisksQueue() throws IOException {
        Path disk = disk("sdd", "discard_max_bytes", "1048576");
        Path partition = Files.createDirectories(disk.resolve("sdd1"));
        Files.writeString(partition.resolve("partition"), "1\n");
        DeviceQueue queue = DeviceQueue.read(partition);
        assertEquals("sdd", queue.name());
        assertEquals(DiscardMode.BLKDISCARD, queue.discardMode());
    }
}
