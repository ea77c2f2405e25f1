package dev.jtarget.backend.file;

import dev.jtarget.backend.io.Libc;
import dev.jtarget.backend.io.Libc.ErrnoException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deallocates byte ranges of a file with Linux {@code fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)}, called
 * through {@link Libc}. {@link java.nio.channels.FileChannel} exposes no file descriptor, so the puncher opens the same
 * path a second time with libc {@code open(2)}; both descriptors share one inode, so a hole punched here is seen by
 * the channel's reads at once (a direct read first writes back and drops the page cache of its range).
 */
public final class HolePuncher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HolePuncher.class);

    private final int fd;
    private final Path path;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set after the filesystem said it cannot punch holes, so later discards go straight to the fallback. */
    private volatile boolean unsupported;

    private HolePuncher(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /** Opens {@code path} for hole punching, or returns empty (and says why) where that is impossible. */
    public static Optional<HolePuncher> open(Path path) throws IOException {
        if (Libc.unavailable() != null) {
            log.warn("cannot punch holes in {}: {}; freed ranges keep their space", path, Libc.unavailable());
            return Optional.empty();
        }
        return Optional.of(new HolePuncher(Libc.open(path.toString(), Libc.O_RDWR | Libc.O_CLOEXEC), path));
    }

    /**
     * Deallocates {@code [offset, offset + length)}; the range then reads as zeros and the file keeps its length.
     *
     * @return false when the filesystem cannot punch holes (the range keeps its space; a caller that needs zeros
     *         writes them)
     */
    public boolean punchHole(long offset, long length) throws IOException {
        if (unsupported) {
            return false;
        }
        if (length == 0) {
            return true;
        }
        try {
            Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length,
                    "punch hole " + offset + "+" + length + " in " + path);
            return true;
        } catch (ErrnoException e) {
            if (e.errno() != Libc.EOPNOTSUPP && e.errno() != Libc.ENOSYS) {
                throw e;
            }
            log.info("the filesystem of {} cannot punch holes ({}); freed ranges keep their space", path,
                    e.getMessage());
            unsupported = true;
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        if (closed.compareAndSet(false, true)) {
            Libc.close(fd, "close " + path);
        }
    }
}
