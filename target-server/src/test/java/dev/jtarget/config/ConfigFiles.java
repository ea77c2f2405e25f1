package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helpers: the repository's conf/ directory and throwaway configuration files. */
public final class ConfigFiles {

    private ConfigFiles() {
    }

    /** conf/ at the repository root; Maven runs the tests from the module directory. */
    public static Path confDir() {
        Path conf = Path.of("").toAbsolutePath().resolveSibling("conf");
        assertTrue(Files.isDirectory(conf), "expected the repository's conf/ at " + conf);
        return conf;
    }

    public static Path write(Path dir, String name, String xml) {
        try {
            return Files.writeString(dir.resolve(name), xml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The column a start tag that ends line {@code line} (1-based) is reported at: just past its '>'. */
    public static int endOf(String xml, int line) {
        return xml.lines().skip(line - 1).findFirst().orElseThrow().length() + 1;
    }
}
