package dev.jtarget.backend.io;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * How a backend moves whole requests between the caller's buffers and its file or device: straight through (the
 * page cache accepts any buffer, offset and length) or, under O_DIRECT, through aligned memory ({@link
 * AlignedTransfer}).
 */
public interface Transfer {

    /**
     * Fills {@code destination} (position to limit) from byte {@code offset}, looping over short reads.
     *
     * @return false when the end of the file came first; the bytes before it are in {@code destination}
     */
    boolean readFully(long offset, ByteBuffer destination) throws IOException;

    /** Writes the buffers back to back from byte {@code offset}, looping over short writes. */
    void writeFully(long offset, ByteBuffer[] sources) throws IOException;

    /** Frees memory held for transfers. Called once, when no transfer can run any more. */
    default void release() {
    }

    /** Every request goes to {@code target} as it is. */
    static Transfer through(Positional target) {
        return new Transfer() {
            @Override
            public boolean readFully(long offset, ByteBuffer destination) throws IOException {
                long position = offset;
                while (destination.hasRemaining()) {
                    int read = target.read(destination, position);
                    if (read < 0) {
                        return false;
                    }
                    position += read;
                }
                return true;
            }

            @Override
            public void writeFully(long offset, ByteBuffer[] sources) throws IOException {
                long position = offset;
                for (ByteBuffer source : sources) {
                    while (source.hasRemaining()) {
                        position += target.write(source, position);
                    }
                }
            }
        };
    }
}
