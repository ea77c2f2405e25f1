package dev.jtarget.backend.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs qemu-img and qemu-io (Debian package qemu-utils) for the interop tests, which skip when they are missing. */
final class QemuImg {
    private QemuImg() {
    }

    static void assumeInstalled() {
        for (String tool : List.of("qemu-img", "qemu-io")) {
            assumeTrue(onPath(tool), tool + " is not installed (apt-get install qemu-utils): skipping qcow2 interop");
        }
    }

    private static boolean onPath(String tool) {
        for (String directory : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, tool))) {
                return true;
            }
        }
        return false;
    }

    record Result(int exitCode, String output) {
    }

    /** Runs a command to completion (at most a minute), returning its exit code and its stdout and stderr. */
    static Result run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within a minute");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Runs a command that must succeed and returns its output. */
    static String succeed(String... command) throws IOException, InterruptedException {
        Result result = run(command);
        assertEquals(0, result.exitCode(), String.join(" ", command) + " failed: " + result.output());
        return result.output();
    }

    /** qemu-img check must find neither corruption nor leaks (exit code 0: 2 is corruption, 3 leaks). */
    static void assertCheckClean(Path image) throws IOException, InterruptedException {
        Result check = run("qemu-img", "check", "-f", "qcow2", image.toString());
        assertEquals(0, check.exitCode(), "qemu-img check " + image + ": " + check.output());
    }

    /** The overlay flattened by qemu-img (backing data plus overlay data) as raw bytes. */
    static byte[] convertToRaw(Path image, Path raw) throws IOException, InterruptedException {
        succeed("qemu-img", "convert", "-f", "qcow2", "-O", "raw", image.toString(), raw.toString());
        return Files.readAllBytes(raw);
    }
}
