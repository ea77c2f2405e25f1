package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.config.ConfigFiles;
import dev.jtarget.testing.LogCapture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} logs a WARN and {@code check-config} prints one when the file with CHAP secrets is not private. */
class SecretFileWarningTest {
    private static final String SECRET = "initiator-secret-1234";

    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void serveWarnsBeforeStartingAndNeverLogsTheSecret() throws Exception {
        // A portal someone else holds: serve warns, then fails to bind and returns instead of running.
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             LogCapture log = new LogCapture()) {
            Path file = readableConfig(taken.getLocalPort());

            assertEquals(Main.EXIT_FAILURE, run("serve", "--config", file.toString()));

            List<String> warnings = log.lines().stream().filter(line -> line.startsWith("WARN")).toList();
            assertEquals(1, warnings.size(), log.lines().toString());
            assertTrue(warnings.getFirst().contains(file + " holds CHAP secrets"), warnings.getFirst());
            assertTrue(warnings.getFirst().endsWith("chmod 600 " + file), warnings.getFirst());
            assertFalse(log.lines().stream().anyMatch(line -> line.contains(SECRET)));
        }
    }

    @Test
    void checkConfigPrintsTheWarning() throws Exception {
        Path file = readableConfig(3260);

        assertEquals(Main.EXIT_OK, run("check-config", "--config", file.toString()));

        String printed = err.toString(StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("jtarget: warning: " + file + " holds CHAP secrets"), printed);
        assertFalse(printed.contains(SECRET));
    }

    private Path readableConfig(int port) throws Exception {
        Path file = ConfigFiles.write(dir, "jtarget.xml", """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:%d"/>
                  <target name="iqn.2026-11.dev.jtarget:t">
                    <chap user="farm" secret="%s"/>
                    <lun id="0"><memory size="1MiB"/></lun>
                  </target>
                </jtarget>
                """.formatted(port, SECRET));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    private int run(String... args) {
        return Main.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }
}
