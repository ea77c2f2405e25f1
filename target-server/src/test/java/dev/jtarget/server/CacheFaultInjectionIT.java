package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.fault.FaultInjectingBackend;
import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.CacheConfig;
import dev.jtarget.config.LunConfig;
import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.ServerConfig;
import dev.jtarget.config.TargetConfig;
import java.io.File;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 acceptance 5, end to end: a real server (in this JVM, so the test can arm the fault) with a memory LUN behind
 * a {@link FaultInjectingBackend} under the write-back cache, driven by qemu-io over iSCSI. Data acknowledged with
 * WCE=1 cannot be written back while the backend fails writes; SYNCHRONIZE CACHE and FUA writes over it must fail
 * (MEDIUM ERROR / WRITE ERROR, which qemu-io reports as an I/O error) instead of claiming durability, and once the
 * backend heals a SYNCHRONIZE CACHE succeeds and every acknowledged byte is on the backend.
 */
@Tag("integration")
class CacheFaultInjectionIT {
    private static final String TARGET = "iqn.2026-11.dev.jtarget:it.cache-fault";
    private static final long LUN_BYTES = 8 << 20;
    private static final int WRITTEN = 1 << 20;
    private static final long QEMU_IO_TIMEOUT_SECONDS = 60;
    private static final String ELSEWHERE = "write -P 0x11 4194304 4096";

    private final AtomicReference<BlockBackend> memory = new AtomicReference<>();
    private final AtomicReference<FaultInjectingBackend> fault = new AtomicReference<>();
    private TargetServer server;
    private String url;

    @AfterEach
    void stopServer() {
        if (server != null) {
            if (fault.get() != null) {
                fault.get().heal(); // a failed assertion must not leave the shutdown drain retrying forever
            }
            server.close();
        }
    }

    @Test
    void synchronizeCacheFailsWhileTheBackendFailsWritesAndSucceedsWithAllDataAfterItHeals(@TempDir Path dir)
            throws Exception {
        startServer(dir);
        fault.get().failWrites(BackendException.Kind.WRITE_ERROR);

        Run acknowledged = qemuIo(dir, "write -P 0x5a 0 " + WRITTEN);
        assertTrue(acknowledged.output().contains("wrote " + WRITTEN + "/" + WRITTEN + " bytes"),
                "WCE=1 writes are acknowledged from the arena:\n" + acknowledged);

        // libiscsi prints the failed SYNCHRONIZE CACHE (10) with its sense: MEDIUM ERROR (3h), WRITE ERROR (0Ch/00h).
        // qemu-io 7.2 exits 0 regardless, so the verdict rests on that line. QEMU skips a flush when its session wrote
        // nothing since the last one, so each session writes a block elsewhere first.
        Run sync = qemuIo(dir, ELSEWHERE, "flush");
        assertTrue(sync.output().contains("SYNCHRONIZECACHE10 failed: SENSE KEY:(null)(3) ASCQ:(null)(0x0c00)"),
                "SYNCHRONIZE CACHE must fail with MEDIUM ERROR / WRITE ERROR while write-back fails:\n" + sync);
        Run fua = qemuIo(dir, "write -f -P 0x5a 0 4096");
        assertFalse(fua.output().contains("wrote 4096/4096 bytes"),
                "a FUA write over unwritable dirty data must fail:\n" + fua);
        assertTrue(fault.get().writeCount() > 0, "write-back must have tried the backend");

        fault.get().heal();
        Run healed = qemuIo(dir, ELSEWHERE, "flush", "read -P 0x5a 0 " + WRITTEN);
        assertTrue(healed.succeeded(), "after heal SYNCHRONIZE CACHE succeeds and reads match:\n" + healed);

        byte[] expected = new byte[WRITTEN];
        Arrays.fill(expected, (byte) 0x5a);
        ByteBuffer onBackend = ByteBuffer.allocate(WRITTEN);
        memory.get().read(0, onBackend).get(10, TimeUnit.SECONDS);
        assertArrayEquals(expected, onBackend.array(), "every acknowledged byte is on the backend after the sync");
    }

    private void startServer(Path dir) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        LunConfig lun = new LunConfig(0, true, 512, false, new BackendConfig.Memory(LUN_BYTES));
        TargetConfig target = new TargetConfig(TARGET, "", Optional.empty(), Optional.empty(), List.of(),
                List.of(lun));
        ServerConfig config = new ServerConfig(dir.resolve("in-test.xml"), dir,
                List.of(new PortalConfig("127.0.0.1", port)), new CacheConfig(16 << 20, 2), Optional.empty(), List.of(target));
        server = TargetServer.start(config, ServerLimits.DEFAULTS, raw -> {
            memory.set(raw);
            FaultInjectingBackend faulty = new FaultInjectingBackend(raw);
            fault.set(faulty);
            return faulty;
        });
        url = "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
    }

    private record Run(int exitCode, String output) {
        /** Every command and the flush qemu-io issues when it closes the LUN succeeded, and every pattern matched. */
        boolean succeeded() {
            return exitCode == 0 && !output.contains("failed");
        }

        @Override
        public String toString() {
            return "exit " + exitCode + ", output:\n" + output;
        }
    }

    /** Runs qemu-io's commands in one session. */
    private Run qemuIo(Path dir, String... commands) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-io")), "qemu-io is not installed");
        List<String> argv = new ArrayList<>(List.of("qemu-io", "-f", "raw", "-t", "none"));
        for (String command : commands) {
            argv.add("-c");
            argv.add(command);
        }
        argv.add(url);
        Path output = dir.resolve("qemu-io.out");
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!process.waitFor(QEMU_IO_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(argv + " did not finish within " + QEMU_IO_TIMEOUT_SECONDS + " s:\n"
                    + Files.readString(output, StandardCharsets.ISO_8859_1));
        }
        return new Run(process.exitValue(), Files.readString(output, StandardCharsets.ISO_8859_1));
    }
}
