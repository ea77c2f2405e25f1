package dev.jtarget.backend.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * One positional read or write ({@code pread}/{@code pwrite}) of a file or device. Shares no file position, so many
 * threads may call it at once; each call moves the buffer's position by the bytes transferred.
 */
public interface Positional {

    /** Reads into {@code destination} from byte {@code position}; the bytes read, or -1 at end of file. */
    int read(ByteBuffer destination, long position) throws IOException;

    /** Writes {@code source} at byte {@code position}; the bytes written, possibly fewer than remained. */
    int write(ByteBuffer source, long position) throws IOException;

    /** The channel's own positional calls; the JDK handles heap and direct buffers alike. */
    static Positional of(FileChannel channel) {
        return new Positional() {
            @Override
            public int read(ByteBuffer destination, long position) throws IOException {
                return channel.read(destination, position);
            }

            @Override
            public int write(ByteBuffer source, long position) throws IOException {
                return channel.write(source, position);
            }
        };
    }
}
