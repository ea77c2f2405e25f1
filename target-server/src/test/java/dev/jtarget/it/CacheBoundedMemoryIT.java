package dev.jtarget.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 acceptance 2: 2 GiB written through a 64 MiB arena to a backend that delays every write by 2 ms. The server
 * runs as a user runs it ({@code -Xmx256m}, ZGC, as {@code ./jtarget} starts it); qemu-img copies nbdkit's
 * {@code pattern} disk (every 8-byte word holds its own offset, so misplaced data cannot go unnoticed) onto the LUN,
 * then {@code qemu-img compare} reads the whole LUN back through the cache and checks it against the pattern.
 *
 * <p>While data streams in, the server's resident set ({@code VmRSS}) is sampled; it must stay within the arena plus a
 * fixed overhead that does not grow with the amount written: {@link #RSS_BOUND} is the arena, plus the whole heap the
 * JVM may grow to ({@code -Xmx}), plus {@link #NON_HEAP} for metaspace, code cache, thread stacks and Netty's pooled
 * direct buffers. Measured on the shared 2-core development machine (2026-11-26): 181 MiB resident right after
 * startup, of which 64 MiB is the arena (allocated and zeroed at start), so the idle JVM holds about 117 MiB; the peak
 * while copying 2 GiB (32 arenas' worth, in 14 s) was 249 MiB, well under the 416 MiB bound. Growth with the data
 * written — a per-write leak of heap or direct memory — would exceed it many times over, or end the server with an
 * OutOfMemoryError, which the test also catches.
 */
@Tag("integration")
class CacheBoundedMemoryIT {
    private static final long MIB = 1 << 20;
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.bounded-memory")
            .withLun(0, 2048 * MIB);
    private static final long ARENA = 64 * MIB;
    private static final long HEAP = 256 * MIB;
    private static final long NON_HEAP = 96 * MIB;
    private static final long FIXED_OVERHEAD = HEAP + NON_HEAP;
    private static final long RSS_BOUND = ARENA + FIXED_OVERHEAD;
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(5);

    private TestServer server;
    private Path workDir;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void twoGibThroughA64MibArenaStayWithinBoundedMemoryAndReadBackIntact(@TempDir Path dir) throws Exception {
        Tools.require("qemu-img", "nbdkit");
        workDir = dir;
        server = TestServer.start("cache-bounded-memory", this::config,
                List.of("-Xmx" + HEAP / MIB + "m", "-XX:+UseZGC", "-XX:+ExitOnOutOfMemoryError"));
        String url = server.url(DISK, 0).toString();
        Path report = ItPaths.outputDir("cache-bounded-memory").resolve("rss.txt");
        String source = "nbdkit --exit-with-parent -U - pattern size=" + DISK.luns().getFirst().sizeBytes()
                + " --run ";

        Tools.Result copy;
        ResidentMemory rss = ResidentMemory.sample(server.pid(), Duration.ofMillis(50));
        try {
            copy = Tools.command("sh", "-c", source + "'qemu-img convert -n -f raw -O raw \"$nbd\" " + url + "'")
                    .timeout(COPY_TIMEOUT).run();
        } finally {
            rss.stop();
        }
        Tools.Result status = server.status();
        writeReport(report, rss, copy.elapsed(), status.output());
        server.assertSucceeded(copy); // the status report is a record for people, not part of the verdict
        assertTrue(server.isAlive(), "the server died while 2 GiB went through it:\n" + server.logTail(40));
        assertTrue(rss.peakBytes() <= RSS_BOUND, String.format(Locale.ROOT,
                "resident memory peaked at %d MiB, above the %d MiB arena + %d MiB fixed overhead (%s)",
                rss.peakBytes() / MIB, ARENA / MIB, FIXED_OVERHEAD / MIB, report));

        Tools.Result compare = Tools.command("sh", "-c", source
                + "'qemu-img compare -f raw -F raw \"$nbd\" " + url + "'").timeout(COPY_TIMEOUT).run();
        server.assertSucceeded(compare);
        assertTrue(compare.output().contains("Images are identical"), compare.describe());
    }

    private static void writeReport(Path report, ResidentMemory rss, Duration copyTime, String status) {
        String text = String.format(Locale.ROOT, "copy of 2 GiB: %.1f s%nRSS at start %d MiB, peak %d MiB, bound %d MiB"
                        + "%nsamples (MiB, one per second):%n%s%njtarget status after the copy:%n%s",
                copyTime.toMillis() / 1000.0, rss.startBytes() / MIB, rss.peakBytes() / MIB, RSS_BOUND / MIB,
                rss.perSecondMib(), status);
        try {
            Files.writeString(report, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String config(String portal) {
        TargetSpec.Lun lun = DISK.luns().getFirst();
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
                + "  <portal listen=\"" + portal + "\"/>\n"
                + "  <cache arena-size=\"" + ARENA / MIB + "MiB\" flushers=\"2\"/>\n"
                + "  <target name=\"" + DISK.name() + "\">\n"
                + "    <lun id=\"0\" write-cache=\"on\" block-size=\"512\">\n"
                + "      <file path=\"" + DISK.backingFile(workDir, lun).toAbsolutePath() + "\" size=\""
                + lun.sizeMib() + "MiB\"/>\n"
                + "      <delay write=\"2ms\"/>\n"
                + "    </lun>\n"
                + "  </target>\n"
                + "</jtarget>\n";
    }
}
