package dev.jtarget.backend.io;

import java.io.IOException;
import java.io.UncheckedIOException;
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

/**
 * The few libc calls the file and device backends need and the JDK does not offer, bound once through the Foreign
 * Function &amp; Memory API: {@code open(2)} with flags the JDK hides ({@code O_EXCL} on a block device,
 * {@code O_DIRECT}), {@code ioctl(2)}, {@code fallocate(2)}, {@code pread(2)}/{@code pwrite(2)} on such a descriptor,
 * {@code close(2)}, and for the memory backend lazily zeroed anonymous memory ({@code mmap(2)}, {@code madvise(2)}). Every call but close retries on EINTR and turns a failure into an {@link ErrnoException} that
 * keeps the errno.
 */
@SuppressWarnings("restricted") // binding libc is the point; the launcher and the tests grant native access
public final class Libc {
    // Linux UAPI values, identical on x86_64 and aarch64.
    public static final int O_RDONLY = 0x0;
    public static final int O_RDWR = 0x2;
    public static final int O_EXCL = 0x80;
    public static final int O_DIRECT = 0x4000;
    public static final int O_CLOEXEC = 0x80000;
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
    private static final int MADV_DONTNEED = 4;
    private static final long MAP_FAILED = -1L;
    public static final int EINTR = 4;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int ENOSYS = 38;
    public static final int EOPNOTSUPP = 95;
    public static final int EDQUOT = 122;

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));
    /** Why the calls cannot be made here, or null when they can. */
    private static final String UNAVAILABLE;
    private static final MethodHandle OPEN;
    private static final MethodHandle IOCTL;
    private static final MethodHandle FALLOCATE;
    private static final MethodHandle PREAD;
    private static final MethodHandle PWRITE;
    private static final MethodHandle CLOSE;
    private static final MethodHandle STRERROR;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle STAT;
    /**
     * Size of {@code struct stat} and the offset of {@code st_blocks} in it: 144 and 64 on x86_64 and on the generic
     * layout of aarch64 and riscv64 alike.
     */
    private static final int STAT_BYTES = 144;
    private static final long ST_BLOCKS_OFFSET = 64;

    static {
        MethodHandle open = null;
        MethodHandle ioctl = null;
        MethodHandle fallocate = null;
        MethodHandle pread = null;
        MethodHandle pwrite = null;
        MethodHandle close = null;
        MethodHandle strerror = null;
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        MethodHandle stat = null;
        String unavailable = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            if (libc.find("fallocate").isEmpty()) {
                unavailable = "this C library has no fallocate (not Linux)";
            } else {
                // open(2) and ioctl(2) are variadic: the third argument is passed as the variadic part (open's mode
                // is only read with O_CREAT, so 0 is passed).
                open = linker.downcallHandle(libc.findOrThrow("open"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                        errno, Linker.Option.firstVariadicArg(2));
                ioctl = linker.downcallHandle(libc.findOrThrow("ioctl"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
                        errno, Linker.Option.firstVariadicArg(2));
                fallocate = linker.downcallHandle(libc.findOrThrow("fallocate"), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG), errno);
                // ssize_t pread(int fd, void *buf, size_t count, off_t offset), and pwrite alike (LP64).
                FunctionDescriptor positional = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
                pread = linker.downcallHandle(libc.findOrThrow("pread"), positional, errno);
                pwrite = linker.downcallHandle(libc.findOrThrow("pwrite"), positional, errno);
                close = linker.downcallHandle(libc.findOrThrow("close"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
                strerror = linker.downcallHandle(libc.findOrThrow("strerror"),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
                mmap = linker.downcallHandle(libc.findOrThrow("mmap"), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), errno);
                munmap = linker.downcallHandle(libc.findOrThrow("munmap"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG), errno);
                madvise = linker.downcallHandle(libc.findOrThrow("madvise"), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
                        errno);
                // glibc exports stat(2) itself since 2.33; older ones only __xstat, where this stays unavailable.
                stat = libc.find("stat").map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS), errno)).orElse(null);
            }
        } catch (IllegalCallerException e) {
            unavailable = "native access is not enabled (run java with --enable-native-access=ALL-UNNAMED)";
        }
        OPEN = open;
        IOCTL = ioctl;
        FALLOCATE = fallocate;
        PREAD = pread;
        PWRITE = pwrite;
        CLOSE = close;
        STRERROR = strerror;
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
        STAT = stat;
        UNAVAILABLE = unavailable;
    }

    private Libc() {
    }

    /** Why these calls cannot be made on this platform or JVM, or null when they can. */
    public static String unavailable() {
        return UNAVAILABLE;
    }

    /**
     * The bytes the file system allocated to {@code path} ({@code st_blocks} of stat(2), in 512-byte units): less
     * than its size when it is sparse. -1 when stat(2) cannot be called here.
     */
    public static long allocatedBytes(String path) throws IOException {
        if (UNAVAILABLE != null || STAT == null) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path);
            MemorySegment buffer = arena.allocate(STAT_BYTES, 8);
            retryingOnEintr("stat " + path, state -> (int) STAT.invokeExact(state, cPath, buffer));
            return buffer.get(ValueLayout.JAVA_LONG, ST_BLOCKS_OFFSET) * 512;
        }
    }

    /** {@code open(path, flags)}; returns the file descriptor. */
    public static int open(String path, int flags) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path);
            return (int) retryingOnEintr("open " + path, state -> (int) OPEN.invokeExact(state, cPath, flags, 0));
        }
    }

    /** An ioctl that fills a u64 (e.g. {@code BLKGETSIZE64}). */
    public static long ioctlReadLong(int fd, long request, String what) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            ioctl(fd, request, value, what);
            return value.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** An ioctl that fills an int (e.g. {@code BLKSSZGET}). */
    public static int ioctlReadInt(int fd, long request, String what) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            ioctl(fd, request, value, what);
            return value.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** An ioctl that takes a byte range {@code u64[2] = {start, length}} (e.g. {@code BLKDISCARD}). */
    public static void ioctlRange(int fd, long request, long start, long length, String what) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment range = arena.allocate(ValueLayout.JAVA_LONG, 2);
            range.setAtIndex(ValueLayout.JAVA_LONG, 0, start);
            range.setAtIndex(ValueLayout.JAVA_LONG, 1, length);
            ioctl(fd, request, range, what);
        }
    }

    private static void ioctl(int fd, long request, MemorySegment argument, String what) throws IOException {
        retryingOnEintr(what, state -> (int) IOCTL.invokeExact(state, fd, request, argument));
    }

    /** {@code fallocate(fd, mode, offset, length)}. */
    public static void fallocate(int fd, int mode, long offset, long length, String what) throws IOException {
        retryingOnEintr(what, state -> (int) FALLOCATE.invokeExact(state, fd, mode, offset, length));
    }

    /**
     * {@code pread(fd, buffer, buffer.byteSize(), offset)}: the bytes read, 0 at end of file. {@code buffer} must be
     * native memory (a heap segment cannot be handed to the kernel).
     */
    public static long pread(int fd, MemorySegment buffer, long offset, String what) throws IOException {
        return retryingOnEintr(what, state -> (long) PREAD.invokeExact(state, fd, buffer, buffer.byteSize(), offset));
    }

    /** {@code pwrite(fd, buffer, buffer.byteSize(), offset)}: the bytes written. */
    public static long pwrite(int fd, MemorySegment buffer, long offset, String what) throws IOException {
        return retryingOnEintr(what,
                state -> (long) PWRITE.invokeExact(state, fd, buffer, buffer.byteSize(), offset));
    }

    /**
     * {@code length} bytes of private anonymous memory that read as zeros and take physical pages only once written
     * ({@code MAP_NORESERVE}: no swap reserved up front), owned by {@code owner}: closing it unmaps the memory, and
     * the segment refuses access from then on instead of touching unmapped memory.
     */
    public static MemorySegment mapAnonymous(long length, Arena owner, String what) throws IOException {
        long address = retryingOnEintr(what, state -> {
            MemorySegment mapped = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length,
                    PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
            return mapped.address() == MAP_FAILED ? -1L : mapped.address();
        });
        return MemorySegment.ofAddress(address).reinterpret(length, owner, mapping -> unmap(mapping, length));
    }

    private static void unmap(MemorySegment mapping, long length) {
        try {
            retryingOnEintr("unmapping memory", state -> (int) MUNMAP.invokeExact(state, mapping, length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code madvise(MADV_DONTNEED)} on whole pages of a {@link #mapAnonymous} mapping: their physical pages are freed
     * and they read as zeros again.
     */
    public static void dropPages(MemorySegment pages, String what) throws IOException {
        retryingOnEintr(what, state -> (int) MADVISE.invokeExact(state, pages, pages.byteSize(), MADV_DONTNEED));
    }

    /** One downcall whose errno lands in {@code state}; a negative result means failure. */
    @FunctionalInterface
    private interface NativeCall {
        long invoke(MemorySegment state) throws Throwable;
    }

    /** Makes {@code call} again while it fails with EINTR; its result, or an {@link ErrnoException} naming what. */
    private static long retryingOnEintr(String what, NativeCall call) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (true) {
                long result = call.invoke(state);
                if (result >= 0) {
                    return result;
                }
                int errno = errno(state);
                if (errno != EINTR) {
                    throw new ErrnoException(what, errno);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call for " + what + " failed unexpectedly", t);
        }
    }

    /** {@code close(fd)}, without retry on EINTR: Linux releases the descriptor even then. */
    public static void close(int fd, String what) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            if ((int) CLOSE.invokeExact(state, fd) != 0) {
                throw new ErrnoException(what, errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native close failed unexpectedly", t);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
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

    /** A failed libc call, with the errno kept so callers can act on it (EBUSY, EOPNOTSUPP, ENOSPC). */
    public static final class ErrnoException extends IOException {
        private final int errno;

        public ErrnoException(String operation, int errno) {
            super(operation + ": " + describe(errno) + " (errno " + errno + ")");
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }

        /** ENOSPC or EDQUOT: the SCSI layer reports these as out of space, not as a medium error. */
        public boolean isOutOfSpace() {
            return errno == ENOSPC || errno == EDQUOT;
        }
    }
}
