package dev.jtarget.backend.file;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deallocates byte ranges of a file with Linux {@code fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)}, called
 * through the Foreign Function &amp; Memory API. {@link java.nio.channels.FileChannel} exposes no file descriptor, so
 * the puncher opens the same path a second time with libc {@code open(2)}; both descriptors share one inode, so a hole
 * punched here is seen by the channel's reads at once.
 */
final class HolePuncher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HolePuncher.class);
    // Linux UAPI values, identical on x86_64 and aarch64.
    private static final int O_RDWR = 0x2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int FALLOC_FL_KEEP_SIZE = 0x01;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    private static final int EINTR = 4;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;

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
    static Optional<HolePuncher> open(Path path) throws IOException {
        if (Libc.UNAVAILABLE != null) {
            log.warn("cannot punch holes in {}: {}; discards will write zeros instead", path, Libc.UNAVAILABLE);
            return Optional.empty();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = arena.allocate(Libc.CALL_STATE);
            MemorySegment cPath = arena.allocateFrom(path.toString());
            // open(2) is variadic; the mode argument is only read with O_CREAT, so 0 is passed as the variadic part.
            int fd = (int) Libc.OPEN.invokeExact(callState, cPath, O_RDWR | O_CLOEXEC, 0);
            if (fd < 0) {
                throw new ErrnoException("open " + path, Libc.errno(callState));
            }
            return Optional.of(new HolePuncher(fd, path));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native open failed unexpectedly", t);
        }
    }

    /**
     * Deallocates {@code [offset, offset + length)}; the range then reads as zeros and the file keeps its length.
     *
     * @return false when the filesystem cannot punch holes (the caller writes zeros instead)
     */
    boolean punchHole(long offset, long length) throws IOException {
        if (unsupported) {
            return false;
        }
        if (length == 0) {
            return true;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = arena.allocate(Libc.CALL_STATE);
            while (true) {
                int result = (int) Libc.FALLOCATE.invokeExact(
                        callState, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
                if (result == 0) {
                    return true;
                }
                int errno = Libc.errno(callState);
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EOPNOTSUPP || errno == ENOSYS) {
                    log.info("the filesystem of {} cannot punch holes ({}); discards will write zeros instead", path,
                            Libc.describe(errno));
                    unsupported = true;
                    return false;
                }
                throw new ErrnoException("punch hole " + offset + "+" + length + " in " + path, errno);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native fallocate failed unexpectedly", t);
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = arena.allocate(Libc.CALL_STATE);
            // No retry on EINTR: Linux releases the descriptor even then, and a retry could close a reused number.
            if ((int) Libc.CLOSE.invokeExact(callState, fd) != 0) {
                throw new ErrnoException("close " + path, Libc.errno(callState));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native close failed unexpectedly", t);
        }
    }

    /** The libc functions, bound once; all null when {@link #UNAVAILABLE} says why they cannot be used. */
    @SuppressWarnings("restricted") // binding libc is the point; the launcher grants native access
    private static final class Libc {
        static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
        private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));
        /** Why hole punching cannot be used here, or null when it can. */
        static final String UNAVAILABLE;
        static final MethodHandle OPEN;
        static final MethodHandle FALLOCATE;
        static final MethodHandle CLOSE;
        private static final MethodHandle STRERROR;

        static {
            MethodHandle open = null;
            MethodHandle fallocate = null;
            MethodHandle close = null;
            MethodHandle strerror = null;
            String unavailable = null;
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errno = Linker.Option.captureCallState("errno");
                Optional<MemorySegment> fallocateSymbol = libc.find("fallocate");
                if (fallocateSymbol.isEmpty()) {
                    unavailable = "this C library has no fallocate (not Linux)";
                } else {
                    open = linker.downcallHandle(libc.findOrThrow("open"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_INT),
                            errno, Linker.Option.firstVariadicArg(2));
                    fallocate = linker.downcallHandle(fallocateSymbol.get(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                            errno);
                    close = linker.downcallHandle(libc.findOrThrow("close"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
                    strerror = linker.downcallHandle(libc.findOrThrow("strerror"),
                            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
                }
            } catch (IllegalCallerException e) {
                unavailable = "native access is not enabled (run java with --enable-native-access=ALL-UNNAMED)";
            }
            OPEN = open;
            FALLOCATE = fallocate;
            CLOSE = close;
            STRERROR = strerror;
            UNAVAILABLE = unavailable;
        }

        static int errno(MemorySegment callState) {
            return (int) ERRNO.get(callState, 0L);
        }

        static String describe(int errno) {
            if (STRERROR == null) {
                return "errno " + errno;
            }
            try {
                MemorySegment message = (MemorySegment) STRERROR.invokeExact(errno);
                return message.reinterpret(Integer.MAX_VALUE).getString(0);
            } catch (Throwable t) {
                return "errno " + errno;
            }
        }
    }

    /** A failed libc call, with the errno kept so callers can classify it (e.g. ENOSPC) without parsing text. */
    static final class ErrnoException extends IOException {
        static final int ENOSPC = 28;
        static final int EDQUOT = 122;

        private final int errno;

        ErrnoException(String operation, int errno) {
            super(operation + ": " + Libc.describe(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }

        int errno() {
            return errno;
        }

        boolean isOutOfSpace() {
            return errno == ENOSPC || errno == EDQUOT;
        }
    }
}
