package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.config.ConfigFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Main's exit codes and output; {@code serve} is only exercised up to the point where it would start a server. */
class MainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> outLines() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private List<String> errLines() {
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private Path badConfig() {
        return ConfigFiles.write(dir, "bad.xml", """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:3260"/>
                  <target name="iqn.2026-11.dev.jtarget:t">
                    <chap user="farm" secret="short"/>
                    <lun id="0"><memory size="12XB"/></lun>
                  </target>
                </jtarget>
                """);
    }

    @Test
    void checkConfigOnTheShippedFilePrintsOkAndASummary() {
        Path file = ConfigFiles.confDir().resolve("jtarget.xml");
        assertEquals(Main.EXIT_OK, run("check-config", "--config", file.toString()));
        assertEquals(List.of(file + ": OK",
                "1 portal (127.0.0.1:3260), 1 target, 1 LUN (1 GiB), cache 256 MiB with 2 flushers"), outLines());
        assertEquals(List.of(), errLines());
    }

    @Test
    void summaryCountsNbdExportsAndDevicesWhoseSizesAreKnownOnlyOnceOpened() {
        Path file = ConfigFiles.confDir().resolve("examples/nbd.xml");
        assertEquals(Main.EXIT_OK, run("check-config", "--config", file.toString()));
        assertEquals("1 portal (0.0.0.0:3260), 1 target, 2 LUNs (2 NBD exports), cache 256 MiB with 2 flushers",
                outLines().getLast());
    }

    @Test
    void summaryNamesThePeerAndItsExports() {
        Path file = ConfigFiles.confDir().resolve("examples/peer.xml");
        assertEquals(Main.EXIT_OK, run("check-config", "--config", file.toString()));
        assertEquals("1 portal (127.0.0.1:3260), 1 target, 1 LUN (1 GiB), cache 256 MiB with 2 flushers,"
                + " NBD peer on 10.0.0.2:10809 with 3 exports", outLines().getLast());
    }

    @Test
    void summaryCountsClonePerInitiatorTargets() throws java.io.IOException {
        Path image = java.nio.file.Files.write(dir.resolve("gold.raw"), new byte[1 << 20]);
        Path file = ConfigFiles.write(dir, "farm.xml", """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:3260"/>
                  <image name="gold" path="%s"/>
                  <target name="iqn.2026-11.dev.jtarget:farm">
                    <clone-per-initiator image="gold" dir="%s"/>
                  </target>
                </jtarget>
                """.formatted(image, dir.resolve("clones")));
        assertEquals(Main.EXIT_OK, run("check-config", "--config", file.toString()));
        assertEquals("1 portal (127.0.0.1:3260), 1 target, a clone per initiator in 1 target, cache 256 MiB with"
                + " 2 flushers", outLines().getLast());
    }

    @Test
    void peerWithoutExportsIsAUsageError() {
        assertEquals(Main.EXIT_USAGE, run("peer", "--listen", "127.0.0.1:10809"));
        assertEquals("jtarget: peer needs at least one --export NAME=PATH", errLines().getFirst());
    }

    @Test
    void checkConfigOnABrokenFilePrintsEveryProblemAndExitsOne() {
        Path file = badConfig();
        assertEquals(Main.EXIT_FAILURE, run("check-config", "--config", file.toString()));
        List<String> lines = errLines();
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).startsWith(file + ":4:"), lines.get(0));
        assertTrue(lines.get(0).endsWith("CHAP secret for user 'farm' is 5 bytes; iSCSI requires at least 12"
                + " (RFC 7143 §12.1.3)"), lines.get(0));
        assertTrue(lines.get(1).startsWith(file + ":5:"), lines.get(1));
        assertTrue(lines.get(1).endsWith("cannot parse size '12XB': use bytes or a number with KiB/MiB/GiB/TiB"
                + " (or K/M/G/T)"), lines.get(1));
        assertEquals(file + ": 2 problems", lines.get(2));
        assertEquals(List.of(), outLines());
    }

    @Test
    void checkConfigOnAMissingFileExitsOne() {
        Path missing = dir.resolve("missing.xml");
        assertEquals(Main.EXIT_FAILURE, run("check-config", "--config", missing.toString()));
        assertEquals(List.of(missing + ": no such file", missing + ": 1 problem"), errLines());
    }

    @Test
    void serveRefusesAnInvalidConfigWithoutStarting() {
        Path file = badConfig();
        assertEquals(Main.EXIT_FAILURE, run("serve", "--config", file.toString()));
        assertEquals("jtarget: not starting; nothing was changed", errLines().getLast());
    }

    @Test
    void helpGoesToStandardOutputAndExitsZero() {
        assertEquals(Main.EXIT_OK, run("--help"));
        assertEquals(Main.USAGE, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitTwoWithAHint() {
        assertEquals(Main.EXIT_USAGE, run("check-config"));
        assertEquals(List.of("jtarget: check-config needs --config FILE", "Run 'jtarget --help' for usage."), errLines());
    }

    @Test
    void noArgumentsIsAUsageError() {
        assertEquals(Main.EXIT_USAGE, run());
        assertEquals("jtarget: no command given", errLines().getFirst());
    }
}
