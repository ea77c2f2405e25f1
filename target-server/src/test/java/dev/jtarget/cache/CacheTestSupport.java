package dev.jtarget.cache;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import dev.jtarget.backend.BlockBackend;

/** Shared helpers for the cache tests. */
final class CacheTestSupport {
    static final int BLOCK = 512;
    static final int PAGE = 4096;
    static final int LUN_BYTES = 1 << 20;

    /** Nothing is written back unless a test asks for it: no expiry, background ratio at 90 %. */
    static final CacheTuning QUIET = CacheTuning.DEFAULT.withWatermarks(0.9, 0.95)
            .withDirtyExpire(Duration.ofHours(1)).withRetryBackoff(Duration.ofMillis(1), Duration.ofMillis(20))
            .withDrainTimeout(Duration.ofSeconds(5));

    /** The production defaults, except that a broken cache fails a test's close() in seconds, not minutes. */
    static final CacheTuning DEFAULTS = CacheTuning.DEFAULT.withDrainTimeout(Duration.ofSeconds(5));

    private CacheTestSupport() {
    }

    /** {@code length} bytes that differ from any other seed's. */
    static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i * 7 + (i >>> 8));
        }
        return bytes;
    }

    static ByteBuffer[] buffers(byte[] bytes) {
        return new ByteBuffer[] {ByteBuffer.wrap(bytes)};
    }

    static void write(BlockBackend backend, long offset, byte[] bytes) {
        join(backend.write(offset, buffers(bytes), false));
    }

    static byte[] read(BlockBackend backend, long offset, int length) {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        join(backend.read(offset, buffer));
        return buffer.array();
    }

    static byte[] slice(byte[] bytes, long offset, int length) {
        byte[] part = new byte[length];
        System.arraycopy(bytes, (int) offset, part, 0, length);
        return part;
    }

    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("operation failed or hung", e);
        }
    }

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }
}
