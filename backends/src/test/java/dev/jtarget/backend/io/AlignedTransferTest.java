package dev.jtarget.backend.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AlignedTransferTest {
    private static final int ALIGNMENT = 4096;

    /**
     * A file in memory that checks what the kernel checks under O_DIRECT: direct memory, and address, offset and
     * length all multiples of the alignment. Remembers the buffers it was handed.
     */
    private static final class StrictFile implements Positional {
        final byte[] content;
        final List<ByteBuffer> handed = new ArrayList<>();

        StrictFile(int size) {
            content = new byte[size];
        }

        private void check(ByteBuffer buffer, long position) throws IOException {
            handed.add(buffer);
            if (!buffer.isDirect() || MemorySegment.ofBuffer(buffer).address() % ALIGNMENT != 0
                    || position % ALIGNMENT != 0 || buffer.remaining() % ALIGNMENT != 0) {
                throw new IOException("EINVAL: unaligned O_DIRECT transfer at " + position);
            }
        }

        @Override
        public int read(ByteBuffer destination, long position) throws IOException {
            check(destination, position);
            if (position >= content.length) {
                return -1;
            }
            int bytes = (int) Math.min(destination.remaining(), content.length - position);
            destination.put(content, (int) position, bytes);
            return bytes;
        }

        @Override
        public int write(ByteBuffer source, long position) throws IOException {
            check(source, position);
            int bytes = source.remaining();
            source.get(content, (int) position, bytes);
            return bytes;
        }
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** A direct buffer whose data starts {@code misalignment} bytes past an aligned address. */
    private static ByteBuffer directAt(int misalignment, byte[] data) {
        ByteBuffer aligned = ByteBuffer.allocateDirect(data.length + 2 * ALIGNMENT).alignedSlice(ALIGNMENT);
        return aligned.position(misalignment).slice().put(data).flip();
    }

    @Test
    void alignedDirectBuffersGoToTheKernelAsTheyAre() throws Exception {
        StrictFile file = new StrictFile(16 * ALIGNMENT);
        AlignedTransfer transfer = new AlignedTransfer(file, ALIGNMENT, 1);
        byte[] data = random(2 * ALIGNMENT, 1);
        ByteBuffer source = directAt(0, data);

        transfer.writeFully(ALIGNMENT, new ByteBuffer[] {source});

        assertSame(source, file.handed.getFirst(), "no copy");
        assertArrayEquals(data, Arrays.copyOfRange(file.content, ALIGNMENT, 3 * ALIGNMENT));
        transfer.release();
    }

    @Test
    void heapAndMisalignedBuffersAreGatheredThroughAlignedMemory() throws Exception {
        StrictFile file = new StrictFile(16 * ALIGNMENT);
        AlignedTransfer transfer = new AlignedTransfer(file, ALIGNMENT, 1);
        byte[] first = random(ALIGNMENT + 100, 2);
        byte[] second = random(3 * ALIGNMENT - 100, 3);
        ByteBuffer[] sources = {ByteBuffer.wrap(first), directAt(8, second)};

        transfer.writeFully(2 * ALIGNMENT, sources);

        assertFalse(sources[0].hasRemaining() || sources[1].hasRemaining(), "the sources are consumed");
        assertArrayEquals(first, Arrays.copyOfRange(file.content, 2 * ALIGNMENT, 3 * ALIGNMENT + 100));
        assertArrayEquals(second, Arrays.copyOfRange(file.content, 3 * ALIGNMENT + 100, 6 * ALIGNMENT));

        ByteBuffer destination = ByteBuffer.allocate(4 * ALIGNMENT + 50).position(50);
        assertTrue(transfer.readFully(2 * ALIGNMENT, destination));
        assertArrayEquals(Arrays.copyOfRange(file.content, 2 * ALIGNMENT, 6 * ALIGNMENT),
                Arrays.copyOfRange(destination.array(), 50, 50 + 4 * ALIGNMENT));
        transfer.release();
    }

    @Test
    void requestsLargerThanABounceBufferMoveInChunks() throws Exception {
        int size = 2 * AlignedTransfer.BOUNCE_BYTES + 3 * ALIGNMENT;
        StrictFile file = new StrictFile(size);
        AlignedTransfer transfer = new AlignedTransfer(file, ALIGNMENT, 2);
        byte[] data = random(size, 4);

        transfer.writeFully(0, new ByteBuffer[] {ByteBuffer.wrap(data)});
        ByteBuffer back = ByteBuffer.allocate(size);
        assertTrue(transfer.readFully(0, back));

        assertArrayEquals(data, file.content);
        assertArrayEquals(data, back.array());
        transfer.release();
    }

    @Test
    void aReadPastTheEndOfTheFileKeepsWhatWasThereAndSaysSo() throws Exception {
        StrictFile file = new StrictFile(2 * ALIGNMENT);
        Arrays.fill(file.content, (byte) 7);
        AlignedTransfer transfer = new AlignedTransfer(file, ALIGNMENT, 1);
        ByteBuffer destination = ByteBuffer.allocate(4 * ALIGNMENT);

        assertFalse(transfer.readFully(0, destination));

        assertArrayEquals(file.content, Arrays.copyOf(destination.array(), 2 * ALIGNMENT));
        assertEquals(2 * ALIGNMENT, destination.position(), "the bytes before the end are counted");
        transfer.release();
    }

    @Test
    void misalignedOffsetsAndLengthsAreRefusedBeforeTheKernelSeesThem() {
        StrictFile file = new StrictFile(4 * ALIGNMENT);
        AlignedTransfer transfer = new AlignedTransfer(file, ALIGNMENT, 1);

        assertThrows(IOException.class, () -> transfer.readFully(512, ByteBuffer.allocate(ALIGNMENT)));
        assertThrows(IOException.class,
                () -> transfer.writeFully(0, new ByteBuffer[] {ByteBuffer.allocate(ALIGNMENT + 512)}));
        assertTrue(file.handed.isEmpty());
        transfer.release();
    }
}
