package dev.jtarget.backend.device;

import dev.jtarget.backend.io.Libc;
import dev.jtarget.backend.io.Libc.ErrnoException;
import dev.jtarget.backend.io.Positional;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A block device opened exclusively through libc: {@code open(O_EXCL)} on a block device makes the kernel refuse every
 * other exclusive open (another LUN, mkfs, LVM, md) and every mount for as long as the descriptor stays open, and fails
 * at once when someone already holds the device. The descriptor also carries the calls the JDK cannot make: the size
 * and block size ioctls, BLKDISCARD and fallocate, and, opened with O_DIRECT, the data transfers ({@link Positional}):
 * the JDK's own direct I/O would demand the alignment of the filesystem holding the device node (4096 on devtmpfs)
 * instead of the device's logical block size.
 */
final class BlockDevice implements AutoCloseable, Positional {
    /** {@code S_IFMT} and {@code S_IFBLK} of {@code st_mode}. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    // Linux UAPI ioctl numbers, identical on x86_64 and aarch64 (the generic ioctl encoding).
    /** {@code _IOR(0x12, 114, size_t)}: the device size in bytes, as a u64. */
    private static final long BLKGETSIZE64 = 0x80081272L;
    /** {@code _IO(0x12, 104)}: the logical block size, as an int. */
    private static final long BLKSSZGET = 0x1268L;
    /** {@code _IO(0x12, 119)}: discard the byte range {@code u64[2] = {start, length}}. */
    private static final long BLKDISCARD = 0x1277L;

    private final Path path;
    private final int fd;
    private final long sizeBytes;
    private final int logicalBlockSize;
    private final long deviceNumber;
    private final AtomicBoolean closed = new AtomicBoolean();

    private BlockDevice(Path path, int fd, long sizeBytes, int logicalBlockSize, long deviceNumber) {
        this.path = path;
        this.fd = fd;
        this.sizeBytes = sizeBytes;
        this.logicalBlockSize = logicalBlockSize;
        this.deviceNumber = deviceNumber;
    }

    /**
     * Opens {@code path} exclusively, read-write or read-only, and with {@code direct} bypassing the page cache.
     *
     * @throws IOException when it does not exist, is not a block device, or is in use (mounted, held by another
     *                     program or already a LUN)
     */
    static BlockDevice openExclusive(Path path, boolean readOnly, boolean direct) throws IOException {
        if (Libc.unavailable() != null) {
            throw new IOException("raw block devices are not supported here: " + Libc.unavailable());
        }
        if (!Files.exists(path)) {
            throw new IOException("no such device: " + path);
        }
        int flags = (readOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_EXCL | Libc.O_CLOEXEC
                | (direct ? Libc.O_DIRECT : 0);
        int fd;
        try {
            fd = Libc.open(path.toString(), flags);
        } catch (ErrnoException e) {
            if (e.errno() == Libc.EBUSY) {
                throw new IOException(path + " is in use: mounted, opened exclusively by another program, or already"
                        + " the backend of a LUN", e);
            }
            throw e;
        }
        try {
            // Checked on the descriptor, not the path: that is the device we hold, whatever the path points to now.
            Path opened = descriptorPath(fd);
            Map<String, Object> attributes = Files.readAttributes(opened, "unix:mode,rdev");
            if (((int) attributes.get("mode") & S_IFMT) != S_IFBLK) {
                // On anything but a block device O_EXCL without O_CREAT means nothing, so this is no lock at all.
                throw new IOException(path + " is not a block device (regular files use the file backend)");
            }
            long size = Libc.ioctlReadLong(fd, BLKGETSIZE64, "BLKGETSIZE64 on " + path);
            int blockSize = Libc.ioctlReadInt(fd, BLKSSZGET, "BLKSSZGET on " + path);
            return new BlockDevice(path, fd, size, blockSize, (long) attributes.get("rdev"));
        } catch (IOException | RuntimeException e) {
            try {
                Libc.close(fd, "close " + path);
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /** True when {@code path} (after symbolic links) is a block device node. */
    static boolean isBlockDevice(Path path) {
        try {
            return ((int) Files.getAttribute(path, "unix:mode") & S_IFMT) == S_IFBLK;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * {@code /proc/self/fd/N}: opening it opens the very device this descriptor holds, even if the configured path
     * (a udev symlink, say) has been pointed elsewhere since.
     */
    Path descriptorPath() {
        return descriptorPath(fd);
    }

    private static Path descriptorPath(int fd) {
        return Path.of("/proc/self/fd", Integer.toString(fd));
    }

    /** The device's sysfs directory, {@code /sys/dev/block/MAJOR:MINOR}. */
    Path sysfsDirectory() {
        return sysfsDirectory(deviceNumber);
    }

    /** The sysfs directory of the block device numbered {@code deviceNumber} (its {@code st_rdev}). */
    static Path sysfsDirectory(long deviceNumber) {
        // glibc's major()/minor() decoding of a 64-bit dev_t.
        long major = ((deviceNumber >>> 8) & 0xfffL) | ((deviceNumber >>> 32) & ~0xfffL);
        long minor = (deviceNumber & 0xffL) | ((deviceNumber >>> 12) & ~0xffL);
        return Path.of("/sys/dev/block", major + ":" + minor);
    }

    Path path() {
        return path;
    }

    long sizeBytes() {
        return sizeBytes;
    }

    int logicalBlockSize() {
        return logicalBlockSize;
    }

    /**
     * {@code pread(2)} into a direct buffer; with O_DIRECT its address, {@code position} and length must be multiples
     * of the logical block size.
     */
    @Override
    public int read(ByteBuffer destination, long position) throws IOException {
        int length = destination.remaining();
        long read = Libc.pread(fd, MemorySegment.ofBuffer(destination), position,
                "read " + position + "+" + length + " on " + path);
        destination.position(destination.position() + (int) read);
        return read == 0 && length > 0 ? -1 : (int) read;
    }

    /** {@code pwrite(2)} from a direct buffer, aligned as for {@link #read}. */
    @Override
    public int write(ByteBuffer source, long position) throws IOException {
        long written = Libc.pwrite(fd, MemorySegment.ofBuffer(source), position,
                "write " + position + "+" + source.remaining() + " on " + path);
        source.position(source.position() + (int) written);
        return (int) written;
    }

    /** {@code ioctl(BLKDISCARD)}: the kernel drops the range from the page cache and tells the device. */
    void discard(long offset, long length) throws IOException {
        Libc.ioctlRange(fd, BLKDISCARD, offset, length,
                "BLKDISCARD " + offset + "+" + length + " on " + path);
    }

    /**
     * {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}: the device's own write-zeroes, allowed to deallocate; fails with
     * EOPNOTSUPP when the device has none (the kernel does not fall back to writing zeros here).
     */
    void zeroOutUnmapping(long offset, long length) throws IOException {
        Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length,
                "zero (unmapping) " + offset + "+" + length + " on " + path);
    }

    /** {@code fallocate(ZERO_RANGE | KEEP_SIZE)}: zeros by any means, the kernel writing zero pages if it must. */
    void zeroOutWriting(long offset, long length) throws IOException {
        Libc.fallocate(fd, Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE, offset, length,
                "zero " + offset + "+" + length + " on " + path);
    }

    /** Releases the exclusive claim. */
    @Override
    public void close() throws IOException {
        if (closed.compareAndSet(false, true)) {
            Libc.close(fd, "close " + path);
        }
    }
}
