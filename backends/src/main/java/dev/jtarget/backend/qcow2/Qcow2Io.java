package dev.jtarget.backend.qcow2;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positional whole-buffer I/O on the image file; a read past the end of the file yields zeros, as a hole would. */
final class Qcow2Io {
    private Qcow2Io() {
    }

    static void readFully(FileChannel file, ByteBuffer destination, long offset) throws IOException {
        long position = offset;
        while (destination.hasRemaining()) {
            int read = file.read(destination, position);
            if (read < 0) {
                MemorySegment.ofBuffer(destination).fill((byte) 0);
                destination.position(destination.limit());
                return;
            }
            position += read;
        }
    }

    static void writeFully(FileChannel file, ByteBuffer source, long offset) throws IOException {
        long position = offset;
        while (source.hasRemaining()) {
            position += file.write(source, position);
        }
    }

    /** A table of big-endian 64-bit entries (L1, L2, refcount table). */
    static long[] readLongs(FileChannel file, int count, long offset) throws IOException {
        ByteBuffer raw = ByteBuffer.allocate(count * 8);
        readFully(file, raw, offset);
        long[] entries = new long[count];
        raw.flip().asLongBuffer().get(entries);
        return entries;
    }

    static void writeLongs(FileChannel file, long[] entries, long offset) throws IOException {
        ByteBuffer raw = ByteBuffer.allocate(entries.length * 8);
        raw.asLongBuffer().put(entries);
        writeFully(file, raw, offset);
    }
}
