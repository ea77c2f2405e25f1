package dev.jtarget.backend.memory;

import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MemoryBackendTest {
    private static final int BLOCK = 512;

    @Test
    void discardZeroesExactlyItsRangeAcrossPartialAndWholePages() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(64 * 1024, BLOCK)) {
            byte[] ones = new byte[64 * 1024];
            Arrays.fill(ones, (byte) 1);
            await(backend.write(0, new ByteBuffer[] {ByteBuffer.wrap(ones)}, false));

            // From the middle of page 0 to the middle of page 3: two partial pages and two whole ones.
            long start = 3 * BLOCK;
            long end = 3 * 4096 + 5 * BLOCK;
            await(backend.discard(start, end - start));

            byte[] expected = ones.clone();
            Arrays.fill(expected, (int) start, (int) end, (byte) 0);
            assertArrayEquals(expected, read(backend, 0, expected.length));
        }
    }

    @Test
    void aClosedDiskRefusesAccessInsteadOfTouchingFreedMemory() {
        MemoryBackend backend = new MemoryBackend(1 << 20, BLOCK);
        backend.close();
        assertThrows(IllegalStateException.class, () -> backend.read(0, ByteBuffer.allocate(BLOCK)));
    }

    @Test
    void aLargeDiskReadsAsZerosWithoutBeingWritten() throws Exception {
        try (MemoryBackend backend = new MemoryBackend(4L << 30, BLOCK)) {
            assertArrayEquals(new byte[4096], read(backend, (4L << 30) - 4096, 4096));
        }
    }
}
