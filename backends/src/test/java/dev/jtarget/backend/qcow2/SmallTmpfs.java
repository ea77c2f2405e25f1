package dev.jtarget.backend.qcow2;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A tmpfs of a few MiB mounted over a test directory, so a test can run a real filesystem out of space (ENOSPC).
 * Mounting needs root (or CAP_SYS_ADMIN): elsewhere the test is skipped with the reason.
 */
final class SmallTmpfs implements AutoCloseable {
    private final Path directory;

    private SmallTmpfs(Path directory) {
        this.directory = directory;
    }

    /** Mounts a tmpfs of {@code megabytes} MiB over {@code directory}, or skips the calling test. */
    static SmallTmpfs mount(Path directory, int megabytes) throws IOException, InterruptedException {
        String output = run("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", directory.toString());
        assumeTrue(output == null, "cannot mount a tmpfs (needs root): " + output);
        return new SmallTmpfs(directory);
    }

    /** Null when the command succeeded, else what it printed. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return String.join(" ", command) + " hung";
        }
        return process.exitValue() == 0 ? null : output.strip();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        String output = run("umount", directory.toString());
        if (output != null) {
            throw new IOException("umount " + directory + ": " + output);
        }
    }
}
