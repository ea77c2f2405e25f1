package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 acceptance 1: the server is SIGKILLed at a random point while qemu-io writes through the write-back cache,
 * then restarted. With WCE=1 every write covered by a completed SYNCHRONIZE CACHE (qemu-io {@code flush}) or written
 * with FUA ({@code write -f}) must read back; with WCE=0 every completed write must. Writes the initiator had no
 * durability promise for may read back old or new, but each sector must hold one of the values written to it.
 *
 * <p>The journal of what completed is qemu-io's own output, line-buffered ({@code stdbuf -oL}) so that a "wrote" line
 * is on disk as soon as the write completes. qemu-io runs its commands one at a time, so a flush is known to have
 * completed when a later write printed "wrote", and the first write without a "wrote" line is the only one that can
 * have been in flight at the kill.
 */
@Tag("integration")
class CacheCrashIT {
    private static final TargetSpec DISKS = TargetSpec.named("iqn.2026-11.dev.jtarget:it.cache-crash")
            .withLun(0, mib(8)).withLun(1, mib(8));
    private static final int WRITE_BACK_LUN = 0;
    private static final int WRITE_THROUGH_LUN = 1;
    private static final int SECTOR = 512;
    private static final int CHUNK = 64 << 10;
    private static final int CHUNKS = (int) (mib(8) / CHUNK);
    /** More writes than complete before the kill, so the kill always lands in the middle of the stream. */
    private static final int WRITES_PER_ROUND = 3000;
    private static final int FLUSH_EVERY = 16;
    private static final int FUA_EVERY = 7;
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);

    private final Random random = new Random();
    private TestServer server;
    private Path workDir;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void writesCoveredByAFlushOrFuaSurviveSigkillWithWriteCacheOn(@TempDir Path dir) throws Exception {
        runRounds(dir, WRITE_BACK_LUN, 10);
    }

    @Test
    void everyCompletedWriteSurvivesSigkillWithWriteCacheOff(@TempDir Path dir) throws Exception {
        runRounds(dir, WRITE_THROUGH_LUN, 10);
    }

    private void runRounds(Path dir, int lun, int rounds) throws Exception {
        Tools.require("qemu-io", "qemu-img", "stdbuf");
        workDir = dir;
        server = TestServer.start("cache-crash-lun" + lun, this::config);
        long seed = random.nextLong();
        random.setSeed(seed);
        byte[] onDisk = new byte[(int) mib(8) / SECTOR]; // the sector values read back after the last restart
        for (int round = 0; round < rounds; round++) {
            List<Write> writes = plan(round);
            int completed = writeUntilKilled(lun, writes, "seed " + seed + " round " + round);
            server.restart();
            byte[] image = readImage(lun);
            verify(lun, writes, completed, onDisk, image, "seed " + seed + " round " + round);
            for (int sector = 0; sector < onDisk.length; sector++) {
                onDisk[sector] = image[sector * SECTOR];
            }
        }
    }

    /** One write per 64 KiB chunk command; a distinct non-zero byte per write so read-back names its source. */
    private List<Write> plan(int round) {
        List<Write> writes = new ArrayList<>();
        for (int i = 0; i < WRITES_PER_ROUND; i++) {
            byte pattern = (byte) (1 + (round * 37 + i) % 255);
            writes.add(new Write(random.nextInt(CHUNKS), pattern, i % FUA_EVERY == FUA_EVERY - 1,
                    i % FLUSH_EVERY == FLUSH_EVERY - 1));
        }
        return writes;
    }

    /** Starts qemu-io, SIGKILLs the server after a random number of completed writes, returns how many completed. */
    private int writeUntilKilled(int lun, List<Write> writes, String round) throws Exception {
        List<String> argv = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw", "-t", "none"));
        for (Write write : writes) {
            argv.add("-c");
            argv.add("write " + (write.fua() ? "-f " : "") + "-P " + (write.pattern() & 0xff) + " "
                    + (long) write.chunk() * CHUNK + " " + CHUNK);
            if (write.flushAfter()) {
                argv.add("-c");
                argv.add("flush");
            }
        }
        argv.add(server.url(DISKS, lun).toString());
        Path output = workDir.resolve("qemu-io.out");
        Process qemuIo = Tools.killOnExit(new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start());
        int killAfter = 1 + random.nextInt(400);
        long deadline = System.nanoTime() + TOOL_TIMEOUT.toNanos();
        while (qemuIo.isAlive() && completedWrites(output) < killAfter && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        server.kill();
        // SIGKILL: qemu-io would spend seconds reconnecting to the dead portal, and must not reach the restarted one.
        qemuIo.destroyForcibly();
        qemuIo.waitFor();
        String text = Files.readString(output, StandardCharsets.ISO_8859_1);
        int completed = completedWrites(output);
        assertTrue(completed > 0, round + ": no write completed before the kill; qemu-io said:\n"
                + Tools.tail(text, 30) + "\nserver log:\n" + server.logTail(30));
        // Everything before the last completed write ran against a live server and must have succeeded.
        int lastWrote = text.lastIndexOf("wrote ");
        String beforeKill = text.substring(0, lastWrote);
        assertTrue(!beforeKill.contains("failed"), round + ": a command failed while the server was up:\n"
                + Tools.tail(beforeKill, 30));
        return completed;
    }

    private static int completedWrites(Path output) throws IOException {
        String text = Files.readString(output, StandardCharsets.ISO_8859_1);
        int count = 0;
        for (int at = text.indexOf("wrote "); at >= 0; at = text.indexOf("wrote ", at + 1)) {
            count++;
        }
        return count;
    }

    private byte[] readImage(int lun) throws IOException {
        Path image = workDir.resolve("readback.img");
        Files.deleteIfExists(image);
        server.assertSucceeded(Tools.command("qemu-img", "convert", "-f", "raw", "-O", "raw",
                server.url(DISKS, lun).toString(), image.toString()).timeout(TOOL_TIMEOUT).run());
        return Files.readAllBytes(image);
    }

    /**
     * Checks every sector against the values it may hold. {@code completed} writes printed "wrote"; write number
     * {@code completed} may have been in flight; later ones never started. A write is durable when the LUN writes
     * through (WCE=0), when it carried FUA, or when a flush after it completed (a later write completed).
     */
    private void verify(int lun, List<Write> writes, int completed, byte[] before, byte[] image, String round) {
        int lastCompletedFlush = -1; // index of the last write a completed flush followed
        for (int i = 0; i < completed - 1; i++) {
            if (writes.get(i).flushAfter()) {
                lastCompletedFlush = i;
            }
        }
        int inFlight = Math.min(completed, writes.size() - 1);
        for (int chunk = 0; chunk < CHUNKS; chunk++) {
            int durable = -1;
            List<Byte> allowed = new ArrayList<>();
            for (int i = 0; i <= inFlight; i++) {
                Write write = writes.get(i);
                if (write.chunk() != chunk) {
                    continue;
                }
                boolean isDurable = i < completed
                        && (lun == WRITE_THROUGH_LUN || write.fua() || i <= lastCompletedFlush);
                if (isDurable) {
                    durable = i;
                    allowed.clear();
                }
                allowed.add(write.pattern());
            }
            for (int sector = chunk * CHUNK / SECTOR; sector < (chunk + 1) * CHUNK / SECTOR; sector++) {
                List<Byte> sectorAllowed = new ArrayList<>(allowed);
                if (durable < 0) {
                    sectorAllowed.add(before[sector]);
                }
                assertSectorIn(image, sector, sectorAllowed, round + ", chunk " + chunk + ", last durable write "
                        + (durable < 0 ? "none (before: " + before[sector] + ")" : durable + " of " + completed));
            }
        }
    }

    private void assertSectorIn(byte[] image, int sector, List<Byte> allowed, String context) {
        byte first = image[sector * SECTOR];
        for (int i = sector * SECTOR; i < (sector + 1) * SECTOR; i++) {
            if (image[i] != first) {
                throw new AssertionError(context + ": sector " + sector + " is torn (" + first + " and " + image[i]
                        + ")\nserver log:\n" + server.logTail(30));
            }
        }
        if (!allowed.contains(first)) {
            throw new AssertionError(context + ": sector " + sector + " holds " + first + ", expected one of "
                    + allowed + "\nserver log:\n" + server.logTail(30));
        }
    }

    private String config(String portal) {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<jtarget xmlns=\"urn:jtarget:config:1\">\n")
                .append("  <portal listen=\"").append(portal).append("\"/>\n")
                .append("  <cache arena-size=\"16MiB\" flushers=\"2\"/>\n")
                .append("  <target name=\"").append(DISKS.name()).append("\">\n");
        for (TargetSpec.Lun lun : DISKS.luns()) {
            String writeCache = lun.id() == WRITE_BACK_LUN ? "on" : "off";
            xml.append("    <lun id=\"").append(lun.id()).append("\" write-cache=\"").append(writeCache)
                    .append("\" block-size=\"512\">\n")
                    .append("      <file path=\"").append(DISKS.backingFile(workDir, lun).toAbsolutePath())
                    .append("\" size=\"").append(lun.sizeMib()).append("MiB\"/>\n")
                    .append("    </lun>\n");
        }
        return xml.append("  </target>\n</jtarget>\n").toString();
    }

    private record Write(int chunk, byte pattern, boolean fua, boolean flushAfter) {
    }

}
