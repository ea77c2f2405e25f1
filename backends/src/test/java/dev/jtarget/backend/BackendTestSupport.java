package dev.jtarget.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jtarget.backend.BackendException.Kind;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Helpers for backend tests: waiting on futures with a bound, typed failures, data generation. */
public final class BackendTestSupport {
    /** Generous: a correct backend answers in milliseconds, a hung one must not hang the build. */
    public static final long TIMEOUT_SECONDS = 20;

    private BackendTestSupport() {
    }

    public static <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    public static BackendException assertFailsWith(Kind kind, CompletableFuture<?> future) {
        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        BackendException backendException = assertInstanceOf(BackendException.class, failure.getCause());
        assertEquals(kind, backendException.kind(), backendException.getMessage());
        return backendException;
    }

    public static byte[] read(BlockBackend backend, long offset, int length) throws Exception {
        ByteBuffer destination = ByteBuffer.allocate(length);
        await(backend.read(offset, destination));
        return destination.array();
    }

    public static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    public static ByteBuffer buffer(byte[] data, boolean direct) {
        ByteBuffer buffer = direct ? ByteBuffer.allocateDirect(data.length) : ByteBuffer.allocate(data.length);
        return buffer.put(data).flip();
    }
}
