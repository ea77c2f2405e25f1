package dev.jtarget.it.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NBD peer holding a LUN's blocks is killed in the middle of a write workload through the iSCSI target and
 * started again 10 s later. The initiator must see only delays: no write fails, and every block written before its
 * last completed SYNCHRONIZE CACHE reads back correct.
 *
 * <p>The workload is a sequence of rounds, each one qemu-io session that writes its own 1 MiB region with its own
 * pattern and then flushes (SYNCHRONIZE CACHE), so each round's outcome is known exactly.
 */
@Tag("integration")
class NbdPeerCrashTest {
    private static final long MIB = 1L << 20;
    private static final int REGIONS = 64;
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    private static final int ROUNDS_BEFORE_AND_AFTER = 3;

    @TempDir
    Path logs;

    /** What one round did: whether its writes and its flush succeeded, and how long it took. */
    private record Round(int region, boolean written, boolean flushed, Duration took, String output) {
        byte pattern() {
            return (byte) (region % 255 + 1);
        }
    }

    @Test
    void peerKilledMidWorkloadAndRestartedTenSecondsLaterLosesNoFlushedWrite() throws Exception {
        Processes.assumeInstalled("qemu-io", "qemu-utils");
        Processes.assumeInstalled("qemu-img", "qemu-utils");
        try (Scratch scratch = new Scratch();
             PeerProcess peer = PeerProcess.start(logs.resolve("peer.log"), "disk", scratch.resolve("peer.img"),
                     REGIONS + "M");
             // 30 s: requests wait out the outage (10 s, plus the peer's restart and our reconnection backoff).
             IscsiTarget target = IscsiTarget.start(logs, "<nbd uri=\"" + peer.uri("disk") + "\" timeout=\"30s\"/>")) {
            List<Round> rounds = new ArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            // Its own thread: the rounds block for the whole outage, and must not hold a thread of a shared pool.
            ExecutorService initiator = Executors.newSingleThreadExecutor();
            CompletableFuture<Void> workload = CompletableFuture.runAsync(() -> runRounds(target, rounds, stop),
                    initiator);
            initiator.shutdown();
            try {
                awaitRounds(rounds, ROUNDS_BEFORE_AND_AFTER, workload);
                peer.kill();
                Thread.sleep(OUTAGE.toMillis());
                peer.restart();
                int atRestart = size(rounds);
                awaitRounds(rounds, atRestart + ROUNDS_BEFORE_AND_AFTER, workload);
            } finally {
                stop.set(true);
            }
            workload.get(90, TimeUnit.SECONDS);

            Path copy = scratch.resolve("lun.raw");
            Processes.Result read = Processes.run(logs.resolve("qemu-img.log"), 120, "qemu-img", "convert", "-f",
                    "raw", "-O", "raw", target.lunUrl(), copy.toString());
            assertEquals(0, read.exitCode(), "reading the LUN back: " + read.output());
            verify(rounds, Files.readAllBytes(copy));
        }
    }

    /** Runs rounds back to back until told to stop (or the regions run out). */
    private void runRounds(IscsiTarget target, List<Round> rounds, AtomicBoolean stop) {
        for (int region = 0; region < REGIONS && !stop.get(); region++) {
            Round round = round(target, region);
            synchronized (rounds) {
                rounds.add(round);
            }
        }
    }

    /** One qemu-io session: two 512 KiB writes of the region's pattern, then a flush. */
    private Round round(IscsiTarget target, int region) {
        String pattern = Integer.toString(region % 255 + 1);
        long offset = region * MIB;
        long started = System.nanoTime();
        try {
            Processes.Result result = Processes.run(logs.resolve("qemu-io.log"), 120, "qemu-io", "-f", "raw",
                    target.lunUrl(), "-c", "write -P " + pattern + " " + offset + " 512k",
                    "-c", "write -P " + pattern + " " + (offset + MIB / 2) + " 512k", "-c", "flush");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            boolean written = result.output().split("wrote 524288/524288 bytes", -1).length - 1 == 2
                    && !result.output().contains("write failed");
            // qemu-io prints nothing for a good flush; a failed command makes it exit with status 1.
            return new Round(region, written, written && result.exitCode() == 0, took, result.output());
        } catch (Exception e) {
            throw new IllegalStateException("round " + region + " could not run", e);
        }
    }

    private static int size(List<Round> rounds) {
        synchronized (rounds) {
            return rounds.size();
        }
    }

    private static void awaitRounds(List<Round> rounds, int count, CompletableFuture<Void> workload)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (size(rounds) < count) {
            if (workload.isDone()) {
                workload.get(); // surfaces the failure of a round that could not run
                throw new AssertionError("the workload ended after " + size(rounds) + " rounds, before " + count);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + size(rounds) + " of " + count + " rounds in 90 s");
            }
            Thread.sleep(50);
        }
    }

    private static void verify(List<Round> rounds, byte[] lun) {
        int lastFlushed = -1;
        int failedFlushes = 0;
        Duration longest = Duration.ZERO;
        for (Round round : rounds) {
            assertTrue(round.written(), "round " + round.region() + ": every write completes despite the outage:\n"
                    + round.output());
            if (round.flushed()) {
                lastFlushed = round.region();
            } else {
                failedFlushes++;
            }
            longest = round.took().compareTo(longest) > 0 ? round.took() : longest;
        }
        // After a lost connection the first flush reports that unflushed writes may be gone; that is all it may do.
        assertTrue(failedFlushes <= 1, failedFlushes + " flushes failed: " + rounds);
        assertTrue(longest.compareTo(Duration.ofSeconds(5)) > 0,
                "a round waited out the outage (the initiator saw a delay): longest " + longest);
        assertTrue(lastFlushed >= rounds.size() - 1 - 1, "flushes succeed again after the restart: " + rounds);
        for (Round round : rounds) {
            String what = round.region() <= lastFlushed
                    ? "written before the last completed SYNCHRONIZE CACHE"
                    : "acknowledged (the peer keeps every acknowledged write across a crash of its process)";
            int start = (int) (round.region() * MIB);
            for (int i = start; i < start + MIB; i++) {
                if (lun[i] != round.pattern()) {
                    throw new AssertionError("region " + round.region() + ", " + what + ", reads " + lun[i]
                            + " instead of " + round.pattern() + " at byte " + i);
                }
            }
        }
    }
}
