package dev.jtarget.cache;

import static dev.jtarget.cache.CacheTestSupport.BLOCK;
import static dev.jtarget.cache.CacheTestSupport.PAGE;
import static dev.jtarget.cache.CacheTestSupport.buffers;
import static dev.jtarget.cache.CacheTestSupport.join;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.testing.Gen;
import dev.jtarget.testing.SeededCases;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random mixes of overlapping writes (plain and FUA), reads, flushes, discards and write-zeroes, many in flight at
 * once, through an arena smaller than the LUN over a backend that completes out of order. Every read, every FUA
 * completion and every flush completion is checked against an oracle that knows when each write started and ended.
 *
 * <p>The oracle is per block and allows exactly what a disk may do with concurrent commands: a read (or the durable
 * image after a sync) may show any write that started before the read ended, unless a later write had already
 * completed before the read started. Each block carries the id of the write that produced it and a checksum-like
 * pattern, so a torn or misplaced block is caught too.
 */
class CacheCoherenceProperties {
    private static final long BASE_SEED = 20261126L;
    private static final int BLOCKS = 128;
    private static final int MAX_BLOCKS_PER_OP = 24;
    private static final int MAX_IN_FLIGHT = 12;

    sealed interface Op permits Write, Read, Flush, Discard, Settle, Fault {
    }

    record Write(int block, int count, boolean fua) implements Op {
    }

    record Read(int block, int count) implements Op {
    }

    record Flush() implements Op {
    }

    record Discard(int block, int count, boolean zeroes) implements Op {
    }

    /** Wait for everything in flight. */
    record Settle() implements Op {
    }

    /** From now on the backend fails (or accepts again) every write. */
    record Fault(boolean failing) implements Op {
    }

    /** Relative frequencies of write, read, flush, discard and settle; faults come on top when enabled. */
    private static final int[] OP_WEIGHTS = {8, 5, 1, 1, 1};

    private static List<Op> operations(Gen gen, boolean faults) {
        int[] weights = Arrays.copyOf(OP_WEIGHTS, OP_WEIGHTS.length + 1);
        weights[OP_WEIGHTS.length] = faults ? 1 : 0;
        return gen.list(1, 120, () -> operation(gen, weights));
    }

    private static Op operation(Gen gen, int[] weights) {
        return switch (gen.weightedIndex(weights)) {
            case 0 -> {
                int block = block(gen);
                yield new Write(block, count(gen, block), gen.between(0, 4) == 0);
            }
            case 1 -> {
                int block = block(gen);
                yield new Read(block, count(gen, block));
            }
            case 2 -> new Flush();
            case 3 -> {
                int block = block(gen);
                yield new Discard(block, count(gen, block), gen.bool());
            }
            case 4 -> new Settle();
            default -> new Fault(gen.bool());
        };
    }

    private static int block(Gen gen) {
        return gen.between(0, BLOCKS - 1);
    }

    /** A block count for an operation at {@code block}, cut short at the end of the LUN. */
    private static int count(Gen gen, int block) {
        return Math.min(gen.between(1, MAX_BLOCKS_PER_OP), BLOCKS - block);
    }

    static LongStream coherenceSeeds() {
        return SeededCases.seeds(BASE_SEED, 60);
    }

    static LongStream faultSeeds() {
        return SeededCases.seeds(BASE_SEED, 30);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("coherenceSeeds")
    void readsAndSyncsOnlySeeDataTheyMaySee(long seed) {
        SeededCases.check(seed, gen -> operations(gen, false), operations -> run(operations, false));
    }

    /**
     * With write-back failing at times: flushes and FUA writes may fail then, reads must stay coherent (failed data
     * stays cached), and once the backend heals a flush must get everything there.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("faultSeeds")
    void failingWriteBackLosesNothing(long seed) {
        SeededCases.check(seed, gen -> operations(gen, true), operations -> run(operations, true));
    }

    private static void run(List<Op> operations, boolean faults) {
        RecordingBackend disk = new RecordingBackend(BLOCKS * BLOCK, BLOCK, 400);
        Oracle oracle = new Oracle(faults);
        CacheTuning tuning = CacheTestSupport.DEFAULTS.withRetryBackoff(Duration.ofMillis(1), Duration.ofMillis(50));
        try (WriteBackCache cache = new WriteBackCache(8 * PAGE, 2, tuning)) {
            BlockBackend lun = cache.attach(disk, "model");
            Deque<CompletableFuture<?>> inFlight = new ArrayDeque<>();
            int nextId = 1;
            for (Op op : operations) {
                switch (op) {
                    case Write w -> inFlight.add(oracle.write(lun, disk, nextId++, w));
                    case Read r -> inFlight.add(oracle.read(lun, r));
                    case Flush f -> inFlight.add(oracle.flush(lun, disk));
                    case Discard d -> inFlight.add(oracle.discard(lun, nextId++, d));
                    case Settle s -> {
                        inFlight.forEach(future -> awaitOrHeal(future, disk));
                        inFlight.clear();
                    }
                    case Fault f -> disk.failWrites(f.failing);
                }
                while (inFlight.size() > MAX_IN_FLIGHT) {
                    awaitOrHeal(inFlight.poll(), disk);
                }
            }
            inFlight.forEach(future -> awaitOrHeal(future, disk));
            disk.failWrites(false);
            // Healed. A write-back that failed just before may still fail the first flush; a later one must succeed.
            for (int attempt = 0; attempt < 3 && !join(lun.flush().handle((ok, failure) -> failure == null));
                    attempt++) {
                Thread.onSpinWait();
            }
            oracle.faults = false;
            join(oracle.flush(lun, disk));
            join(oracle.read(lun, new Read(0, BLOCKS)));
        }
        assertEquals(List.of(), List.copyOf(oracle.violations));
    }

    /**
     * Waits for {@code future}. While the backend fails, a write may rightly wait for arena pages that only a healed
     * backend can free; then the fault ends here, as an operator would end it.
     */
    private static void awaitOrHeal(CompletableFuture<?> future, RecordingBackend disk) {
        if (disk.failingWrites()) {
            try {
                future.get(200, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                disk.failWrites(false);
            } catch (InterruptedException | ExecutionException e) {
                throw new AssertionError(e);
            }
        }
        join(future);
    }

    /**
     * When each write started and ended, per block, and what reads and syncs may therefore show. Its futures never
     * fail: unexpected failures are recorded as violations, so that a run always finishes and reports them all.
     */
    private static final class Oracle {
        private final AtomicLong clock = new AtomicLong();
        /** Per block: the writes (discards included) that touched it; the first is the zero-filled initial state. */
        private final List<List<Version>> versions = new ArrayList<>();
        final Queue<String> violations = new ConcurrentLinkedQueue<>();
        /** Whether the backend may be failing, so that flushes and FUA writes may fail. */
        volatile boolean faults;

        /** A write's id, whether it wrote zeros, and its start and end times; end is MAX_VALUE while in flight. */
        private static final class Version {
            final int id;
            final boolean zero;
            final long start;
            volatile long end = Long.MAX_VALUE;

            Version(int id, boolean zero, long start) {
                this.id = id;
                this.zero = zero;
                this.start = start;
            }
        }

        Oracle(boolean faults) {
            this.faults = faults;
            Version initial = new Version(0, true, -2);
            initial.end = -1;
            for (int b = 0; b < BLOCKS; b++) {
                List<Version> list = new ArrayList<>();
                list.add(initial);
                versions.add(list);
            }
        }

        CompletableFuture<Void> write(BlockBackend lun, RecordingBackend disk, int id, Write op) {
            byte[] data = new byte[op.count * BLOCK];
            for (int i = 0; i < op.count; i++) {
                System.arraycopy(content(id, op.block + i), 0, data, i * BLOCK, BLOCK);
            }
            Version version = started(id, false, op.block, op.count);
            return lun.write((long) op.block * BLOCK, buffers(data), op.fua).whenComplete((ignored, failure) -> {
                ended(version, failure, "write " + op, op.fua);
                if (op.fua && failure == null) {
                    // Durable on completion: the durable image shows this write or one not finished before it began.
                    // (Plain writes completed since need not be durable, so they do not count as newer.)
                    byte[] durable = Arrays.copyOfRange(disk.durable(), op.block * BLOCK, (op.block + op.count) * BLOCK);
                    checkDurable("durable after FUA " + op, durable, op.block, version.start, clock.incrementAndGet());
                }
            }).exceptionally(failure -> null);
        }

        CompletableFuture<Void> discard(BlockBackend lun, int id, Discard op) {
            Version version = started(id, true, op.block, op.count);
            long offset = (long) op.block * BLOCK;
            long length = (long) op.count * BLOCK;
            CompletableFuture<Void> done = op.zeroes ? lun.writeZeroes(offset, length, false)
                    : lun.discard(offset, length);
            return done.whenComplete((ignored, failure) -> ended(version, failure, "discard " + op, false))
                    .exceptionally(failure -> null);
        }

        CompletableFuture<Void> read(BlockBackend lun, Read op) {
            long start = clock.incrementAndGet();
            ByteBuffer destination = ByteBuffer.allocate(op.count * BLOCK);
            return lun.read((long) op.block * BLOCK, destination).whenComplete((ignored, failure) -> {
                if (failure != null) {
                    violations.add("read " + op + " failed: " + failure);
                    return;
                }
                check("read " + op, destination.array(), op.block, start, clock.incrementAndGet());
            }).exceptionally(failure -> null);
        }

        CompletableFuture<Void> flush(BlockBackend lun, RecordingBackend disk) {
            long start = clock.incrementAndGet();
            return lun.flush().whenComplete((ignored, failure) -> {
                if (failure != null) {
                    if (!faults) {
                        violations.add("flush failed: " + failure);
                    }
                    return;
                }
                check("durable after flush", disk.durable(), 0, start, clock.incrementAndGet());
            }).exceptionally(failure -> null);
        }

        private Version started(int id, boolean zero, int block, int count) {
            Version version = new Version(id, zero, clock.incrementAndGet());
            synchronized (versions) {
                for (int b = block; b < block + count; b++) {
                    versions.get(b).add(version);
                }
            }
            return version;
        }

        /** A failed write may or may not have happened: it stays "in flight" forever, never superseding others. */
        private void ended(Version version, Throwable failure, String what, boolean mayFail) {
            if (failure == null) {
                version.end = clock.incrementAndGet();
            } else if (!(faults && mayFail)) {
                violations.add(what + " failed: " + failure);
            }
        }

        /** Checks blocks {@code [first, first + n)} seen in {@code bytes} by an observation during [start, end]. */
        private void check(String what, byte[] bytes, int first, long start, long end) {
            synchronized (versions) {
                for (int i = 0; i < bytes.length / BLOCK; i++) {
                    int block = first + i;
                    byte[] seen = Arrays.copyOfRange(bytes, i * BLOCK, (i + 1) * BLOCK);
                    List<Integer> allowed = allowed(block, start, end);
                    int id = idOf(seen, block);
                    if (id < 0) {
                        violations.add(what + ": block " + block + " is torn or misplaced");
                    } else if (!allowed.contains(id)) {
                        violations.add(what + ": block " + block + " shows write " + id + ", allowed " + allowed);
                    }
                }
            }
        }

        /** Checks blocks that must hold a write started at {@code since} or one not finished before it. */
        private void checkDurable(String what, byte[] bytes, int first, long since, long now) {
            synchronized (versions) {
                for (int i = 0; i < bytes.length / BLOCK; i++) {
                    int block = first + i;
                    List<Integer> allowed = new ArrayList<>();
                    for (Version candidate : versions.get(block)) {
                        if (candidate.start < now && candidate.end >= since) {
                            allowed.add(candidate.zero ? 0 : candidate.id);
                        }
                    }
                    int id = idOf(Arrays.copyOfRange(bytes, i * BLOCK, (i + 1) * BLOCK), block);
                    if (id < 0 || !allowed.contains(id)) {
                        violations.add(what + ": block " + block + " shows " + id + ", allowed " + allowed);
                    }
                }
            }
        }

        /** Ids a block may show to an observation during [start, end]; 0 stands for zeros (initial or discarded). */
        private List<Integer> allowed(int block, long start, long end) {
            List<Version> all = versions.get(block);
            List<Integer> ids = new ArrayList<>();
            for (Version candidate : all) {
                if (candidate.start >= end) {
                    continue;
                }
                boolean superseded = false;
                for (Version later : all) {
                    if (candidate.end < later.start && later.end < start) {
                        superseded = true;
                        break;
                    }
                }
                if (!superseded) {
                    ids.add(candidate.zero ? 0 : candidate.id);
                }
            }
            return ids;
        }

        private static int idOf(byte[] block, int number) {
            if (Arrays.equals(block, new byte[BLOCK])) {
                return 0;
            }
            int id = ByteBuffer.wrap(block).getInt(0);
            return id > 0 && Arrays.equals(block, content(id, number)) ? id : -1;
        }

        private static byte[] content(int id, int block) {
            byte[] bytes = new byte[BLOCK];
            ByteBuffer.wrap(bytes).putInt(id).putInt(block);
            for (int i = 8; i < BLOCK; i++) {
                bytes[i] = (byte) (id * 13 + block * 7 + i);
            }
            return bytes;
        }
    }
}
