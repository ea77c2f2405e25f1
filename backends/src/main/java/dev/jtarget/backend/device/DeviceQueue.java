package dev.jtarget.backend.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What the kernel says about a block device's request queue ({@code /sys/dev/block/MAJ:MIN/queue}): whether it can
 * discard and whether a discarded range then reads as zeros, which decides how {@link DeviceBackend} discards and what
 * it promises (SCSI LBPRZ).
 *
 * @param name                     the kernel's name of the whole disk ({@code sda}, {@code loop3})
 * @param loop                     a loop device: its discards punch holes in the backing file
 * @param discardMaxBytes          0 when the device cannot discard
 * @param discardZeroesData        the pre-4.12 flag for devices that guaranteed zeros after discard (always 0 since)
 * @param writeZeroesUnmapMaxBytes above 0 when a write-zeroes may deallocate (Linux 6.17+); 0 when unknown
 */
record DeviceQueue(String name, boolean loop, long discardMaxBytes, boolean discardZeroesData,
                   long writeZeroesUnmapMaxBytes) {

    /** How a discard reaches the device. */
    enum DiscardMode {
        /** The device cannot discard: discards are accepted and do nothing (discard is advisory). */
        NONE,
        /** {@code ioctl(BLKDISCARD)}. */
        BLKDISCARD,
        /**
         * {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}, a write-zeroes that may unmap: on a device that says its
         * write-zeroes deallocates, this frees the blocks like BLKDISCARD and also guarantees zeros.
         */
        UNMAPPING_WRITE_ZEROES
    }

    /** Reads the attributes of the device whose sysfs directory is {@code device} (a disk or a partition). */
    static DeviceQueue read(Path device) throws IOException {
        Path disk = disk(device);
        Path queue = disk.resolve("queue");
        return new DeviceQueue(disk.getFileName().toString(), Files.isDirectory(disk.resolve("loop")),
                number(queue.resolve("discard_max_bytes")), number(queue.resolve("discard_zeroes_data")) == 1,
                number(queue.resolve("write_zeroes_unmap_max_bytes")));
    }

    /**
     * The logical block size of the device whose sysfs directory is {@code device}: the unit of its reads and writes
     * and, under O_DIRECT, their alignment.
     */
    static int logicalBlockSize(Path device) throws IOException {
        Path attribute = disk(device).resolve("queue").resolve("logical_block_size");
        long size = number(attribute);
        if (size <= 0 || size > Integer.MAX_VALUE) {
            throw new IOException("no usable logical block size in " + attribute + ": " + size);
        }
        return (int) size;
    }

    /** A partition has no queue of its own: it shares its disk's, one directory up. */
    private static Path disk(Path device) {
        return Files.exists(device.resolve("partition")) ? device.getParent() : device;
    }

    /** The attribute's value, or 0 when this kernel does not have it. */
    private static long number(Path attribute) throws IOException {
        try {
            return Long.parseLong(Files.readString(attribute).strip());
        } catch (NoSuchFileException absent) {
            return 0;
        } catch (NumberFormatException e) {
            throw new IOException("unexpected content in " + attribute + ": " + e.getMessage(), e);
        }
    }

    DiscardMode discardMode() {
        if (writeZeroesUnmapMaxBytes > 0) {
            return DiscardMode.UNMAPPING_WRITE_ZEROES;
        }
        return discardMaxBytes > 0 ? DiscardMode.BLKDISCARD : DiscardMode.NONE;
    }

    /**
     * True only where the kernel guarantees it: an unmapping write-zeroes always reads back as zeros; a loop device
     * turns a discard into {@code fallocate(PUNCH_HOLE)} on its backing file (drivers/block/loop.c), which reads as
     * zeros; and old kernels reported devices that guaranteed it in {@code discard_zeroes_data} (Linux's own target,
     * LIO, sets LBPRZ from the same flag). Any other device may return old data, zeros or anything after a discard,
     * so nothing is promised and the LUN reports LBPRZ=0 (SBC-3, logical block provisioning VPD page).
     */
    boolean discardReadsZeros() {
        return switch (discardMode()) {
            case NONE -> false;
            case UNMAPPING_WRITE_ZEROES -> true;
            case BLKDISCARD -> loop || discardZeroesData;
        };
    }
}
