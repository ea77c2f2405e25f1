package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our server killed with SIGKILL and started again on the same configuration: a LUN keeps its identity and what an
 * initiator flushed before the kill. Always runs our server ({@link TestServer}); tgtd cannot be restarted with its
 * configuration.
 */
@Tag("integration")
class RestartIT {
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.restart").withLun(0, mib(16));
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);

    private TestServer server;

    @BeforeEach
    void startServer(@TempDir Path workDir) {
        Tools.require("iscsi-inq", "qemu-io");
        server = TestServer.start("restart", workDir, List.of(DISK));
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /** Initiators (multipath, udev's /dev/disk/by-id) recognise a disk by these; a restart must not change them. */
    @Test
    void unitSerialNumberAndDeviceIdentificationSurviveAKillAndRestart() {
        String serialBefore = server.assertSucceeded(vpd(0x80)).output();
        String identificationBefore = server.assertSucceeded(vpd(0x83)).output();

        server.kill();
        server.restart();

        assertEquals(serialBefore, server.assertSucceeded(vpd(0x80)).output());
        assertEquals(identificationBefore, server.assertSucceeded(vpd(0x83)).output());
    }

    /** SBC-3 SYNCHRONIZE CACHE: once it completes, the data is in the backend and outlives the server process. */
    @Test
    void dataFlushedBeforeAKillReadsBackAfterRestart() {
        server.assertSucceeded(qemuIo("write -P 0x5c 1048576 1048576", "flush"));

        server.kill();
        server.restart();

        Tools.Result read = server.assertSucceeded(qemuIo("read -P 0x5c 1048576 1048576"));
        assertEquals("1048576/1048576", read.find("^read (\\d+/\\d+) bytes"), read.describe());
    }

    private Tools.Result vpd(int page) {
        return Tools.command("iscsi-inq", "-e", "1", "-c", String.valueOf(page), server.url(DISK, 0).toString())
                .timeout(TOOL_TIMEOUT).run();
    }

    private Tools.Result qemuIo(String... commands) {
        List<String> argv = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String command : commands) {
            argv.add("-c");
            argv.add(command);
        }
        argv.add(server.url(DISK, 0).toString());
        return Tools.command(argv.toArray(String[]::new)).timeout(TOOL_TIMEOUT).run();
    }
}
