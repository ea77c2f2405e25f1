package dev.jtarget.it;

import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.SocketTransport;
import dev.jtarget.iscsi.initiator.TestInitiator;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Phaser;

/**
 * One session of the load test: logs in over its own TCP connection and, for a given time, writes and reads its own
 * region of the LUN with sizes from 4 KiB to 256 KiB, one command at a time. It keeps a copy of what the region must
 * hold, so every read is checked against every earlier write, and reads the whole region once more at the end. It
 * records each command's latency and never throws: errors and mismatches are counted and described.
 */
final class SessionWorkload implements Runnable {
    static final int BLOCK_SIZE = 512;
    /** 4 KiB .. 256 KiB in powers of two, in blocks. */
    private static final int[] SIZES_IN_BLOCKS = {8, 16, 32, 64, 128, 256, 512};
    private static final int MAX_REPORTED_PROBLEMS = 5;

    private final InetSocketAddress portal;
    private final String targetName;
    private final int index;
    private final long firstBlock;
    private final byte[] expected;
    private final long seed;
    private final String[] loginKeys;
    private final Phaser start;
    private final Duration duration;
    private long[] latencies = new long[1024];
    private int commands;
    private long bytesMoved;
    private long elapsedNanos;
    private int errors;
    private int mismatches;
    private final List<String> problems = new ArrayList<>();

    /**
     * @param regionBlocks the session's region: blocks {@code index * regionBlocks} up to the next region
     * @param start        every session registered; the I/O starts when all have logged in (or given up)
     * @param duration     how long the I/O runs from then on
     * @param loginKeys    operational keys that differ from {@link TestInitiator}'s defaults
     */
    SessionWorkload(InetSocketAddress portal, String targetName, int index, int regionBlocks, long seed,
                    Phaser start, Duration duration, String... loginKeys) {
        this.portal = portal;
        this.targetName = targetName;
        this.index = index;
        this.firstBlock = (long) index * regionBlocks;
        this.expected = new byte[regionBlocks * BLOCK_SIZE];
        this.seed = seed;
        this.start = start;
        this.duration = duration;
        this.loginKeys = loginKeys;
    }

    @Override
    public void run() {
        boolean started = false;
        long startNanos = System.nanoTime();
        try (TestInitiator initiator = new TestInitiator(new SocketTransport(portal), 0x80_0000_0000L + index,
                BLOCK_SIZE)) {
            int status = initiator.login(targetName, loginKeys).loginStatus();
            if (status != 0) {
                problem(true, String.format("login failed with status 0x%04x", status));
                return;
            }
            initiator.clearUnitAttention();
            start.arriveAndAwaitAdvance();
            started = true;
            startNanos = System.nanoTime();
            long deadline = startNanos + duration.toNanos();
            SplittableRandom random = new SplittableRandom(seed);
            int regionBlocks = expected.length / BLOCK_SIZE;
            // The region starts as zeros (a new sparse file); it must read as zeros until written.
            while (System.nanoTime() < deadline) {
                int blocks = SIZES_IN_BLOCKS[random.nextInt(SIZES_IN_BLOCKS.length)];
                int offsetBlocks = random.nextInt(regionBlocks - blocks + 1);
                if (random.nextBoolean()) {
                    write(initiator, random, offsetBlocks, blocks);
                } else {
                    read(initiator, offsetBlocks, blocks);
                }
            }
            read(initiator, 0, regionBlocks);
            initiator.logout();
        } catch (RuntimeException | AssertionError e) {
            problem(true, "session ended early: " + e);
        } finally {
            if (!started) {
                start.arriveAndDeregister(); // the others do not wait for a session that will not run
            }
            elapsedNanos = started ? System.nanoTime() - startNanos : 0;
        }
    }

    private void write(TestInitiator initiator, SplittableRandom random, int offsetBlocks, int blocks) {
        byte[] data = new byte[blocks * BLOCK_SIZE];
        random.nextBytes(data);
        long started = System.nanoTime();
        ScsiResult result = initiator.write(firstBlock + offsetBlocks, data);
        record(started, data.length);
        if (result.status() != ScsiResult.GOOD) {
            problem(true, String.format("WRITE at block %d (%d blocks): status 0x%02x sense %06x",
                    firstBlock + offsetBlocks, blocks, result.status(), result.senseCode()));
            return;
        }
        System.arraycopy(data, 0, expected, offsetBlocks * BLOCK_SIZE, data.length);
    }

    private void read(TestInitiator initiator, int offsetBlocks, int blocks) {
        long started = System.nanoTime();
        ScsiResult result = initiator.read(firstBlock + offsetBlocks, blocks);
        record(started, blocks * BLOCK_SIZE);
        if (result.status() != ScsiResult.GOOD) {
            problem(true, String.format("READ at block %d (%d blocks): status 0x%02x sense %06x",
                    firstBlock + offsetBlocks, blocks, result.status(), result.senseCode()));
            return;
        }
        int from = offsetBlocks * BLOCK_SIZE;
        byte[] want = Arrays.copyOfRange(expected, from, from + blocks * BLOCK_SIZE);
        int differs = Arrays.mismatch(want, result.dataIn());
        if (differs >= 0) {
            problem(false, String.format("READ at block %d (%d blocks) differs from what was written at byte %d",
                    firstBlock + offsetBlocks, blocks, differs));
        }
    }

    private void record(long startedNanos, int bytes) {
        if (commands == latencies.length) {
            latencies = Arrays.copyOf(latencies, commands * 2);
        }
        latencies[commands++] = System.nanoTime() - startedNanos;
        bytesMoved += bytes;
    }

    private void problem(boolean error, String description) {
        if (error) {
            errors++;
        } else {
            mismatches++;
        }
        if (problems.size() < MAX_REPORTED_PROBLEMS) {
            problems.add("session " + index + " (seed " + seed + "): " + description);
        }
    }

    int errors() {
        return errors;
    }

    int mismatches() {
        return mismatches;
    }

    List<String> problems() {
        return problems;
    }

    int commands() {
        return commands;
    }

    double iops() {
        return elapsedNanos == 0 ? 0 : commands * 1e9 / elapsedNanos;
    }

    double mibPerSecond() {
        return elapsedNanos == 0 ? 0 : bytesMoved * 1e9 / elapsedNanos / (1 << 20);
    }

    /** The latency below which {@code percent} of the commands completed, in milliseconds (nearest rank). */
    double latencyMillis(double percent) {
        if (commands == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(latencies, commands);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(percent / 100 * commands);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

    String report() {
        return String.format("session %2d  %6d cmds  %7.1f IOPS  %6.2f MiB/s  p50 %7.2f ms  p99 %7.2f ms", index,
                commands, iops(), mibPerSecond(), latencyMillis(50), latencyMillis(99));
    }
}
