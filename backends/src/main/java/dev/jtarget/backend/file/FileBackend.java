package dev.jtarget.backend.file;

import com.sun.nio.file.ExtendedOpenOption;
import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.RequestChecks;
import dev.jtarget.backend.io.AlignedTransfer;
import dev.jtarget.backend.io.ChannelIo;
import dev.jtarget.backend.io.Positional;
import dev.jtarget.backend.io.Transfer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LUN stored in a regular file, sparse where nothing was written.
 *
 * <p>All I/O runs on a fixed pool of daemon threads owned by the backend ({@code file-io-<file name>-N}), never on the
 * caller's thread (typically a Netty event loop), and futures complete on those threads. Reads and writes use
 * positional {@link FileChannel} calls (pread/pwrite), which share no file position and so are safe concurrently.
 * Flush and FUA use {@code fdatasync}; discard and write-zeroes punch holes ({@link HolePuncher}) and fall back to
 * writing zeros on filesystems that cannot.
 *
 * <p>With {@link FileBackendOptions#direct()} the file is opened with O_DIRECT: data moves between the device and
 * memory without a copy in the page cache, and every request must be whole filesystem blocks
 * ({@link #directAlignment}); callers' buffers that are not aligned are copied through an {@link AlignedTransfer}.
 */
public final class FileBackend implements BlockBackend {
    private static final Logger log = LoggerFactory.getLogger(FileBackend.class);
    /** The zero-writing fallback moves at most this much per call, so a huge discard never needs a huge buffer. */
    private static final int ZERO_CHUNK_BYTES = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK_BYTES).asReadOnlyBuffer();
    /** How long close() lets queued and running requests finish before it releases the file anyway. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(30);

    private final Path path;
    private final long sizeBytes;
    private final int blockSize;
    private final boolean readOnly;
    /** Requests must be whole multiples of this: the O_DIRECT alignment, or 1 through the page cache. */
    private final int alignment;
    private final ChannelIo io;
    /** Null when read-only or when this platform has no fallocate: zeros are written instead. */
    private final HolePuncher puncher;
    private final AtomicBoolean closed = new AtomicBoolean();

    private FileBackend(FileBackendOptions options, Path path, FileChannel channel, int alignment,
                        HolePuncher puncher) {
        this.path = path;
        this.sizeBytes = options.sizeBytes();
        this.blockSize = options.blockSize();
        this.readOnly = options.readOnly();
        this.alignment = alignment;
        this.puncher = puncher;
        Transfer transfer = options.direct()
                ? new AlignedTransfer(Positional.of(channel), alignment, options.ioThreads())
                : Transfer.through(Positional.of(channel));
        this.io = new ChannelIo(channel, transfer, "file-io-" + path.getFileName(), options.ioThreads(), describe());
    }

    /**
     * Opens (creating or growing as the options allow) the backing file.
     *
     * @throws IOException when the file cannot be created or opened, its size conflicts with the options, or (direct)
     *                     its filesystem refuses O_DIRECT or has blocks larger than the block size
     */
    public static FileBackend open(FileBackendOptions options) throws IOException {
        return open(options, true);
    }

    /** With {@code punchHoles} false, discards always write zeros: lets tests cover the fallback on any filesystem. */
    static FileBackend open(FileBackendOptions options, boolean punchHoles) throws IOException {
        Path path = BackingFile.prepare(options);
        int alignment = options.direct() ? directAlignment(path) : 1;
        if (options.blockSize() % alignment != 0) {
            throw new IOException("block size " + options.blockSize() + " of " + path + " is not a multiple of the "
                    + alignment + "-byte blocks of its filesystem, which O_DIRECT transfers whole");
        }
        FileChannel channel = openChannel(path, options);
        HolePuncher puncher = null;
        try {
            if (!options.readOnly() && punchHoles) {
                puncher = HolePuncher.open(path).orElse(null);
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        log.info("opened file backend {} ({} bytes, {}-byte blocks{}{})", path, options.sizeBytes(),
                options.blockSize(), options.readOnly() ? ", read-only" : "",
                options.direct() ? ", O_DIRECT aligned to " + alignment : "");
        return new FileBackend(options, path, channel, alignment, puncher);
    }

    private static FileChannel openChannel(Path path, FileBackendOptions options) throws IOException {
        List<OpenOption> openOptions = new ArrayList<>(List.of(StandardOpenOption.READ));
        if (!options.readOnly()) {
            openOptions.add(StandardOpenOption.WRITE);
        }
        if (!options.direct()) {
            return FileChannel.open(path, openOptions.toArray(OpenOption[]::new));
        }
        openOptions.add(ExtendedOpenOption.DIRECT);
        try {
            return FileChannel.open(path, openOptions.toArray(OpenOption[]::new));
        } catch (IOException e) {
            throw new IOException("cannot open " + path + " with O_DIRECT (" + e.getMessage() + "): its filesystem"
                    + " may not support direct I/O (tmpfs does not)", e);
        }
    }

    /**
     * The alignment O_DIRECT needs in {@code path}: the block size of its filesystem, or while it does not exist yet,
     * of the nearest directory above it that does. The JDK checks every direct transfer against the same value.
     */
    public static int directAlignment(Path path) throws IOException {
        Path existing = path.toAbsolutePath();
        while (!Files.exists(existing)) {
            existing = existing.getParent();
            if (existing == null) {
                throw new IOException("no directory above " + path + " exists");
            }
        }
        return Math.toIntExact(Files.getFileStore(existing).getBlockSize());
    }


    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public BackendCapabilities capabilities() {
        // Holes and the zero-writing fallback both read back as zeros; the page cache makes flushes necessary.
        return new BackendCapabilities(true, true, true, readOnly);
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
        return io.submit("discard " + offset + "+" + length, Kind.WRITE_ERROR, () -> zeroRange(offset, length));
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

    private BackendException checkWritable(String operation, long offset, long length) {
        return RequestChecks.writable(operation, offset, length, sizeBytes, alignment, readOnly, describe());
    }

    private BackendException checkRange(String operation, long offset, long length) {
        return RequestChecks.range(operation, offset, length, sizeBytes, alignment, describe());
    }


    private void readFully(long offset, ByteBuffer destination) throws IOException {
        if (!io.readFully(offset, destination)) {
            // The file was shortened behind our back; the missing tail is a hole of the LUN and reads as zeros.
            MemorySegment.ofBuffer(destination).fill((byte) 0);
            destination.position(destination.limit());
        }
    }


    private void zeroRange(long offset, long length) throws IOException {
        if (puncher != null && puncher.punchHole(offset, length)) {
            return;
        }
        long position = offset;
        long end = offset + length;
        while (position < end) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(ZERO_CHUNK_BYTES, end - position));
            int chunk = zeros.remaining();
            io.writeFully(position, new ByteBuffer[] {zeros});
            position += chunk;
        }
    }


    /**
     * Lets queued requests finish, then releases the file. Never interrupts the I/O threads: an interrupt inside a
     * FileChannel operation closes the whole channel.
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
            log.warn("closing {} failed", path, e);
        }
        if (puncher == null) {
            return;
        }
        if (!drained) {
            // A discard may still be inside fallocate(); closing its descriptor could let the number be reused for
            // another file that the late call would then punch. Leaking one descriptor is the safe choice.
            log.warn("I/O on {} did not finish within {}; leaving its hole-punching descriptor open", path,
                    CLOSE_GRACE);
            return;
        }
        try {
            puncher.close();
        } catch (IOException e) {
            log.warn("closing the hole-punching descriptor of {} failed", path, e);
        }
    }

    @Override
    public String describe() {
        return "file " + path;
    }
}
