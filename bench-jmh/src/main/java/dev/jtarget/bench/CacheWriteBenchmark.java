package dev.jtarget.bench;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.memory.MemoryBackend;
import dev.jtarget.cache.CacheTuning;
import dev.jtarget.cache.WriteBackCache;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
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
 * A 4 KiB WCE=1 write into the cache of a LUN with a memory backend, from the call to the completed future, in two
 * regimes:
 *
 * <ul>
 *   <li>{@link #overwriteDirty}: random 4 KiB writes over a 16 MiB hot set that stays dirty (the arena is far below
 *       its background ratio and dirty data does not expire during the run), so every write is absorbed in place: the
 *       lock, the index look-up and the copy.</li>
 *   <li>{@link #streamNew}: sequential 4 KiB writes over a 1 GiB LUN through a 64 MiB arena, so every write takes a
 *       fresh page and the flushers write back behind it: the steady state, with the throttling and waiting for pages
 *       that keeps the arena bounded when writers outrun write-back.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CacheWriteBenchmark {
    private static final int WRITE = 4096;
    private static final int BLOCK = 512;

    /** A cache in front of one memory LUN; closed (drained) after the run. */
    public abstract static class Lun {
        WriteBackCache cache;
        BlockBackend lun;
        final ByteBuffer data = ByteBuffer.allocateDirect(WRITE);
        final ByteBuffer[] sources = {data};

        void open(long arenaBytes, long lunBytes, CacheTuning tuning) {
            cache = new WriteBackCache(arenaBytes, 2, tuning);
            lun = cache.attach(new MemoryBackend(lunBytes, BLOCK), "bench");
        }

        void write(long offset) {
            data.clear();
            lun.write(offset, sources, false).join();
        }

        @TearDown
        public void close() {
            lun.close();
            cache.close();
        }
    }

    @State(Scope.Thread)
    public static class HotSet extends Lun {
        static final long HOT_BYTES = 16L << 20;

        @Setup
        public void open() {
            open(1L << 30, HOT_BYTES, CacheTuning.DEFAULT.withDirtyExpire(Duration.ofHours(1)));
            for (long offset = 0; offset < HOT_BYTES; offset += WRITE) {
                write(offset); // every page dirty before measuring: what follows is absorbed
            }
        }
    }

    @State(Scope.Thread)
    public static class Stream extends Lun {
        static final long LUN_BYTES = 1L << 30;
        long next;

        @Setup
        public void open() {
            open(64L << 20, LUN_BYTES, CacheTuning.DEFAULT);
        }
    }

    @Benchmark
    public void overwriteDirty(HotSet hot) {
        hot.write(ThreadLocalRandom.current().nextLong(HotSet.HOT_BYTES / WRITE) * WRITE);
    }

    @Benchmark
    public void streamNew(Stream stream) {
        stream.write(stream.next);
        stream.next = (stream.next + WRITE) % Stream.LUN_BYTES;
    }
}
