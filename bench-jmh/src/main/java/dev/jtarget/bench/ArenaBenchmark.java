package dev.jtarget.bench;

import dev.jtarget.cache.BufferArena;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cache arena on its own: taking and returning one 4 KiB page (the O(1) free stack), and the same with the page
 * filled from a heap buffer, as a write copies its data in.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ArenaBenchmark {
    private static final int PAGE = 4096;

    private BufferArena arena;
    private final int[] page = new int[1];
    private final ByteBuffer data = ByteBuffer.allocate(PAGE);

    @Setup
    public void open() {
        arena = new BufferArena(64L << 20, PAGE);
    }

    @TearDown
    public void close() {
        arena.close();
    }

    @Benchmark
    public int allocateFree() {
        arena.allocate(1, page);
        arena.free(page[0]);
        return page[0];
    }

    @Benchmark
    public int allocateCopyInFree() {
        arena.allocate(1, page);
        arena.copyIn(page[0], 0, data, 0, PAGE);
        arena.free(page[0]);
        return page[0];
    }
}
