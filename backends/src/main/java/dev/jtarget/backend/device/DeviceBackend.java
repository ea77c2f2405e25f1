package dev.jtarget.backend.device;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.RequestChecks;
import dev.jtarget.backend.io.AlignedTransfer;
import dev.jtarget.backend.io.ChannelIo;
import dev.jtarget.backend.io.Libc;
import dev.jtarget.backend.io.Libc.ErrnoException;
import dev.jtarget.backend.io.Positional;
import dev.jtarget.backend.io.Transfer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LUN on a raw block device ({@code /dev/sdb}, a partition, an LVM volume, a loop device), held exclusively.
 *
 * <p>Two descriptors reach the device. The one from {@link BlockDevice} is opened with {@code O_EXCL}: it is the lock
 * (no second LUN, mount, mkfs or LVM can claim the device meanwhile) and carries the size and discard ioctls and
 * fallocate, which must come from the exclusive holder for the kernel to drop the range from its page cache directly.
 * Data moves through a {@link FileChannel} opened on that descriptor's {@code /proc/self/fd} entry, so it is the very
 * same device: the JDK's positional reads and writes handle heap and direct buffers, short transfers and EINTR, and
 * no Java memory has to be pinned for a native call that may wait on the disk for a long time.
 *
 * <p>I/O goes through the kernel's page cache, so completed writes need a flush ({@code fdatasync}, which also
 * flushes the device's own volatile cache). With {@link DeviceBackendOptions#direct()} the exclusive descriptor is
 * opened with O_DIRECT and data moves through it instead ({@link BlockDevice} as {@link Positional}, unaligned
 * buffers copied by an {@link AlignedTransfer}), bypassing the page cache; flushes are still needed for the device's
 * cache and go through the channel, whose fdatasync flushes the whole device.
 *
 * <p>Discards use {@code BLKDISCARD}, or an unmapping write-zeroes where the kernel says that deallocates (see {@link DeviceQueue}); write-zeroes uses the device's write-zeroes
 * command and falls back to the kernel writing zero pages. Like {@code FileBackend}, all I/O runs on the backend's own
 * pool of daemon threads ({@code device-io-<name>-N}) and futures complete there.
 */
public final class DeviceBackend implements BlockBackend {
    private static final Logger log = LoggerFactory.getLogger(DeviceBackend.class);
    /** How long close() lets queued and running requests finish before it releases the device anyway. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(30);

    private final BlockDevice device;
    private final DeviceQueue queue;
    private final boolean readOnly;
    private final ChannelIo io;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once the device refused an unmapping write-zeroes, so later zeroing goes straight to the fallback. */
    private volatile boolean noUnmappingZeroes;

    private DeviceBackend(BlockDevice device, FileChannel channel, DeviceQueue queue, DeviceBackendOptions options) {
        this.device = device;
        this.queue = queue;
        this.readOnly = options.readOnly();
        Transfer transfer = options.direct()
                ? new AlignedTransfer(device, device.logicalBlockSize(), options.ioThreads())
                : Transfer.through(Positional.of(channel));
        this.io = new ChannelIo(channel, transfer, "device-io-" + queue.name(), options.ioThreads(), describe());
    }

    /**
     * Opens the device exclusively and learns its size, logical block size and discard support.
     *
     * @throws IOException when it is missing, not a block device, in use, or its attributes cannot be read
     */
    public static DeviceBackend open(DeviceBackendOptions options) throws IOException {
        BlockDevice device = BlockDevice.openExclusive(options.path(), options.readOnly(), options.direct());
        FileChannel channel = null;
        try {
            DeviceQueue queue = DeviceQueue.read(device.sysfsDirectory().toRealPath());
            channel = options.readOnly()
                    ? FileChannel.open(device.descriptorPath(), StandardOpenOption.READ)
                    : FileChannel.open(device.descriptorPath(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            DeviceBackend backend = new DeviceBackend(device, channel, queue, options);
            log.info("opened device backend {} ({}: {} bytes, {}-byte blocks, discard {}{}{}{})", options.path(),
                    queue.name(), device.sizeBytes(), device.logicalBlockSize(), queue.discardMode(),
                    queue.discardReadsZeros() ? " reading zeros" : "", options.readOnly() ? ", read-only" : "",
                    options.direct() ? ", O_DIRECT" : "");
            return backend;
        } catch (IOException | RuntimeException e) {
            try {
                if (channel != null) {
                    channel.close();
                }
                device.close();
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /**
     * The logical block size of the block device at {@code path}, read from sysfs without opening the device: a LUN's
     * block size must be a multiple of it, and under O_DIRECT every transfer is aligned to it.
     */
    public static int logicalBlockSize(Path path) throws IOException {
        long deviceNumber = (long) Files.getAttribute(path, "unix:rdev");
        return DeviceQueue.logicalBlockSize(BlockDevice.sysfsDirectory(deviceNumber).toRealPath());
    }

    /** True when {@code path} (after symbolic links) is a block device node: what this backend can open. */
    public static boolean isBlockDevice(Path path) {
        return BlockDevice.isBlockDevice(path);
    }


    @Override
    public long sizeBytes() {
        return device.sizeBytes();
    }

    @Override
    public int blockSize() {
        return device.logicalBlockSize();
    }

    @Override
    public BackendCapabilities capabilities() {
        boolean canDiscard = !readOnly && queue.discardMode() != DeviceQueue.DiscardMode.NONE;
        return new BackendCapabilities(canDiscard, canDiscard && queue.discardReadsZeros(), true, readOnly);
    }

    @Override
    public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
        BackendException invalid = checkRange("read", offset, destination.remaining());
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return io.submit("read " + offset + "+" + destination.remaining(), Kind.READ_ERROR,
                () -> readFully(offset, destination));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        BackendException invalid = checkWritable("write", offset, ChannelIo.remaining(sources));
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return io.write(offset, sources, fua);
    }

    @Override
    public CompletableFuture<Void> flush() {
        if (readOnly) {
            return CompletableFuture.completedFuture(null);
        }
        return io.flush();
    }

    @Override
    public CompletableFuture<Void> discard(long offset, long length) {
        BackendException invalid = checkWritable("discard", offset, length);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return switch (queue.discardMode()) {
            // Discard is advisory and capabilities() said it does nothing here.
            case NONE -> CompletableFuture.completedFuture(null);
            case UNMAPPING_WRITE_ZEROES -> io.submit("discard " + offset + "+" + length, Kind.WRITE_ERROR,
                    () -> zeroRange(offset, length));
            case BLKDISCARD -> io.submit("discard " + offset + "+" + length, Kind.WRITE_ERROR,
                    () -> discardRange(offset, length));
        };
    }

    @Override
    public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        BackendException invalid = checkWritable("write zeroes", offset, length);
        if (invalid != null) {
            return CompletableFuture.failedFuture(invalid);
        }
        return io.submit("write zeroes " + offset + "+" + length, Kind.WRITE_ERROR, () -> {
            zeroRange(offset, length);
            if (fua) {
                io.force();
            }
        });
    }

    private void discardRange(long offset, long length) throws IOException {
        try {
            device.discard(offset, length);
        } catch (ErrnoException e) {
            if (e.errno() != Libc.EOPNOTSUPP) {
                throw e;
            }
            // The device stopped taking discards (a loop device whose backing filesystem cannot punch holes). If
            // zeros were promised they must still be there; otherwise doing nothing is what a discard may do.
            if (capabilities().discardReadsZeros()) {
                zeroRange(offset, length);
            }
        }
    }

    private void zeroRange(long offset, long length) throws IOException {
        if (length == 0) {
            return;
        }
        if (!noUnmappingZeroes) {
            try {
                device.zeroOutUnmapping(offset, length);
                return;
            } catch (ErrnoException e) {
                if (e.errno() != Libc.EOPNOTSUPP) {
                    throw e;
                }
                log.info("{} has no write-zeroes command; zeroing will write zeros", device.path());
                noUnmappingZeroes = true;
            }
        }
        device.zeroOutWriting(offset, length);
    }

    private BackendException checkWritable(String operation, long offset, long length) {
        return RequestChecks.writable(operation, offset, length, device.sizeBytes(), device.logicalBlockSize(),
                readOnly, describe());
    }

    private BackendException checkRange(String operation, long offset, long length) {
        // The discard and zeroing calls refuse ranges that are not whole logical blocks (EINVAL).
        return RequestChecks.range(operation, offset, length, device.sizeBytes(), device.logicalBlockSize(),
                describe());
    }


    private void readFully(long offset, ByteBuffer destination) throws IOException {
        int start = destination.position();
        if (!io.readFully(offset, destination)) {
            throw new IOException(device.path() + " ended at " + (offset + destination.position() - start)
                    + ", before its size " + device.sizeBytes() + ": was the device resized?");
        }
    }



    /**
     * Lets queued requests finish, then releases the device and its exclusive claim. Never interrupts the I/O
     * threads: an interrupt inside a FileChannel operation closes the whole channel.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        boolean drained = false;
        try {
            drained = io.shutdown(CLOSE_GRACE);
        } catch (IOException e) {
            log.warn("closing {} failed", device.path(), e);
        }
        if (!drained) {
            // A discard may still be inside the ioctl; closing its descriptor could let the number be reused for
            // another device that the late call would then discard. Leaking one descriptor is the safe choice.
            log.warn("I/O on {} did not finish within {}; leaving its exclusive descriptor open", device.path(),
                    CLOSE_GRACE);
            return;
        }
        try {
            device.close();
        } catch (IOException e) {
            log.warn("closing the exclusive descriptor of {} failed", device.path(), e);
        }
    }

    @Override
    public String describe() {
        return "device " + device.path();
    }
}
