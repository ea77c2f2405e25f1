package dev.jtarget.backend.fault;

import static dev.jtarget.backend.BackendTestSupport.assertFailsWith;
import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.memory.MemoryBackend;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultInjectingBackendTest {
    private static final int BLOCK = 512;
    private final FaultInjectingBackend backend = new FaultInjectingBackend(new MemoryBackend(1 << 20, BLOCK));

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void armedWriteFailureFailsEveryChangeWithoutTouchingTheData() throws Exception {
        byte[] data = filled((byte) 0x5a);
        await(backend.write(0, new ByteBuffer[] {buffer(data, false)}, false));

        backend.failWrites(Kind.NO_SPACE);

        assertFailsWith(Kind.NO_SPACE, backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));
        assertFailsWith(Kind.NO_SPACE, backend.writeZeroes(0, BLOCK, false));
        assertFailsWith(Kind.NO_SPACE, backend.discard(0, BLOCK));
        await(backend.flush());
        assertArrayEquals(data, read(backend, 0, BLOCK), "reads still work and see the old data");
    }

    @Test
    void armedFlushFailureAlsoFailsFuaWritesButNotPlainOnes() throws Exception {
        backend.failFlushes(Kind.WRITE_ERROR);

        assertFailsWith(Kind.WRITE_ERROR, backend.flush());
        assertFailsWith(Kind.WRITE_ERROR, backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, true));
        assertFailsWith(Kind.WRITE_ERROR, backend.writeZeroes(0, BLOCK, true));
        await(backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));
        await(backend.writeZeroes(0, BLOCK, false));
    }

    @Test
    void armedReadFailureFailsReadsOnly() throws Exception {
        backend.failReads(Kind.READ_ERROR);

        assertFailsWith(Kind.READ_ERROR, backend.read(0, ByteBuffer.allocate(BLOCK)));
        await(backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, true));
    }

    @Test
    void healRestoresNormalService() throws Exception {
        backend.failReads(Kind.NOT_READY);
        backend.failWrites(Kind.NOT_READY);
        backend.failFlushes(Kind.NOT_READY);

        backend.heal();

        byte[] data = filled((byte) 0x33);
        await(backend.write(BLOCK, new ByteBuffer[] {buffer(data, true)}, true));
        await(backend.flush());
        assertArrayEquals(data, read(backend, BLOCK, BLOCK));
    }

    @Test
    void countsEveryRequestWhetherItFailedOrNot() throws Exception {
        backend.failWrites(Kind.WRITE_ERROR);
        backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false);
        backend.discard(0, BLOCK);
        backend.heal();
        await(backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));
        await(backend.writeZeroes(0, BLOCK, false));
        await(backend.flush());
        await(backend.flush());
        read(backend, 0, BLOCK);

        assertEquals(2, backend.writeCount());
        assertEquals(1, backend.discardCount());
        assertEquals(1, backend.writeZeroesCount());
        assertEquals(2, backend.flushCount());
        assertEquals(1, backend.readCount());
    }

    private static byte[] filled(byte value) {
        byte[] data = new byte[BLOCK];
        Arrays.fill(data, value);
        return data;
    }
}
