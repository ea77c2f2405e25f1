package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.SocketTransport;
import dev.jtarget.iscsi.initiator.TestInitiator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jtarget status} against a real server in this JVM: the report comes over the admin socket in the state
 * directory next to the configuration file, and its numbers follow the writes an initiator makes.
 */
class StatusCommandTest {
    private static final String LUN_SCOPE = LoopbackServer.TARGET_NAME + "/lun0";
    private static final int WRITE_BYTES = 64 << 10;
    private static final int WRITES = 16;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void statusReportsTheCacheAndItsNumbersFollowTheWrites() throws Exception {
        Path socket = dir.resolve("state").resolve(AdminEndpoint.SOCKET_NAME);
        try (LoopbackServer server = LoopbackServer.start(dir, "16MiB", ServerLimits.DEFAULTS)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)),
                    "only the server's owner may ask");
            String before = status();
            assertTrue(before.matches("(?s)jtarget: up \\d+:\\d\\d:\\d\\d, 2 target\\(s\\) on \\[127\\.0\\.0\\.1:\\d+].*"),
                    before);
            assertEquals(0, writes(before, LUN_SCOPE), before);

            try (TestInitiator initiator = new TestInitiator(new SocketTransport(server.address()), 0x2001, 512)) {
                assertTrue(initiator.login(LoopbackServer.TARGET_NAME).entersFullFeaturePhase(), "login");
                initiator.clearUnitAttention();
                for (int i = 0; i < WRITES; i++) {
                    byte[] data = new byte[WRITE_BYTES];
                    data[0] = (byte) (i + 1);
                    assertEquals(ScsiResult.GOOD, initiator.write((long) i * WRITE_BYTES / 512, data).status());
                }
                // The first 64 KiB again while still dirty (below the background ratio dirty data waits 5 s before it
                // is written back): the cache absorbs the overwrite.
                assertEquals(ScsiResult.GOOD, initiator.write(0, new byte[WRITE_BYTES]).status());
            }
            String after = status();
            assertEquals(WRITES + 1, writes(after, LUN_SCOPE), after);
            assertEquals(WRITES + 1, writes(after, "cache"), after);
            assertTrue(line(after, LUN_SCOPE).contains("written 1.1 MiB in 17 writes (64.0 KiB absorbed"), after);
            assertTrue(line(after, "cache").startsWith("cache: arena "), after);
        }
        assertFalse(Files.exists(socket), "closing the server removes its socket");
        assertEquals(Main.EXIT_FAILURE, run("status", "--config", dir.resolve("jtarget.xml").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no status from " + socket), err::toString);
        assertEquals(Main.EXIT_FAILURE, run("image", "list", "--config", dir.resolve("jtarget.xml").toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no answer from " + socket + " (is 'jtarget serve"),
                err::toString);
    }

    @Test
    void imageRequestsGetAnAnswerAndMistakesAFailure() throws Exception {
        try (LoopbackServer server = LoopbackServer.start(dir, "16MiB", ServerLimits.DEFAULTS)) {
            Path socket = dir.resolve("state").resolve(AdminEndpoint.SOCKET_NAME);
            Duration timeout = Duration.ofSeconds(10);
            assertEquals(new AdminEndpoint.Answer(true, ""), AdminEndpoint.request(socket, "image list", timeout),
                    "no images, no clone-per-initiator targets");
            AdminEndpoint.Answer unknown = AdminEndpoint.request(socket, "image reset iqn.x:none iqn.y:a", timeout);
            assertFalse(unknown.succeeded());
            assertEquals("no clone-per-initiator target named iqn.x:none\n", unknown.text());
            assertFalse(AdminEndpoint.request(socket, "image expire", timeout).succeeded());
            assertEquals(new AdminEndpoint.Answer(false, "unknown request 'stop': status or image ...\n"),
                    AdminEndpoint.request(socket, "stop", timeout));
            assertEquals(Main.EXIT_FAILURE, run("image", "retarget", "iqn.x:none", "gold", "--config",
                    dir.resolve("jtarget.xml").toString()));
            assertEquals("jtarget: no clone-per-initiator target named iqn.x:none\n",
                    err.toString(StandardCharsets.UTF_8));
        }
    }

    private String status() {
        out.reset();
        int exit = run("status", "--config", dir.resolve("jtarget.xml").toString());
        assertEquals(Main.EXIT_OK, exit, () -> err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String line(String report, String scope) {
        return report.lines().filter(line -> line.startsWith(scope + ": ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + scope + " in:\n" + report));
    }

    private static int writes(String report, String scope) {
        Matcher matcher = Pattern.compile(" in (\\d+) writes \\(").matcher(line(report, scope));
        assertTrue(matcher.find(), report);
        return Integer.parseInt(matcher.group(1));
    }
}
