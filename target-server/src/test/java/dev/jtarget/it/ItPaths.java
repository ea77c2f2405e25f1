package dev.jtarget.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where integration tests find the repository and keep what a developer reads after a run. */
final class ItPaths {
    private ItPaths() {
    }

    /** The target-server module directory: Surefire sets {@code basedir} and runs tests from there. */
    static Path moduleDir() {
        return Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    }

    static Path repoRoot() {
        return moduleDir().getParent();
    }

    /**
     * {@code target/it/<name>/}, created on demand: server logs, configs, initiator logs and scores stay there after
     * the run (JUnit's temp dirs are deleted, and the LUN images that live in them should be).
     */
    static Path outputDir(String name) {
        Path dir = moduleDir().resolve("target").resolve("it").resolve(name);
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
