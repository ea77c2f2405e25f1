package dev.jtarget.backend.device;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A loop device over a sparse file, set up with {@code losetup} for tests of the device backend. Needs root and loop
 * support; {@link #assumeAvailable()} skips the calling test with the reason when either is missing.
 */
final class LoopDevice implements AutoCloseable {
    private final Path device;
    private final Path backingFile;

    private LoopDevice(Path device, Path backingFile) {
        this.device = device;
        this.backingFile = backingFile;
    }

    static void assumeAvailable() {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "loop devices need root: skipping the device backend tests (the CI suite runs as root)");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")),
                "no /dev/loop-control (loop module not loaded, or a container without it): skipping");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/losetup")) || Files.isExecutable(Path.of("/sbin/losetup")),
                "losetup is not installed (apt-get install mount): skipping");
    }

    /**
     * Creates a sparse backing file of {@code sizeBytes} and attaches the first free loop device to it. The file goes
     * to tmpfs when there is one, so the flushes of the tests do not wait on a busy disk; tmpfs punches holes too.
     */
    static LoopDevice attach(long sizeBytes, int sectorSize) throws IOException, InterruptedException {
        Path shm = Path.of("/dev/shm");
        Path backingFile = Files.createTempFile(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                : Path.of(System.getProperty("java.io.tmpdir")), "jtarget-loop-", ".img");
        try (RandomAccessFile file = new RandomAccessFile(backingFile.toFile(), "rw")) {
            file.setLength(sizeBytes);
        }
        String output = run("losetup", "--find", "--show", "--sector-size", Integer.toString(sectorSize),
                backingFile.toString());
        return new LoopDevice(Path.of(output.strip()), backingFile);
    }

    Path device() {
        return device;
    }

    /** Bytes the backing file occupies on disk, as {@code du} counts them. */
    long backingFileAllocatedBytes() throws IOException, InterruptedException {
        String output = run("du", "--block-size=1", backingFile.toString());
        return Long.parseLong(output.substring(0, output.indexOf('\t')));
    }

    /**
     * Detaches the device and deletes the backing file. While something still holds the device open the kernel
     * detaches it on the last close (autoclear) and keeps the deleted file until then, so this is safe to call before
     * the backend on it is closed.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            run("losetup", "--detach", device.toString());
        } finally {
            Files.deleteIfExists(backingFile);
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within 30 s");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output);
        }
        return output;
    }
}
