package dev.jtarget.backend.image;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Positional reads of an image file, shaped like {@link java.nio.channels.FileChannel#read(ByteBuffer, long)} so a
 * channel is one ({@code channel::read}); tests put a counting reader here.
 */
@FunctionalInterface
public interface ImageReader {
    /** Reads into {@code destination} from {@code position}; returns the bytes read, or -1 at the end of the file. */
    int read(ByteBuffer destination, long position) throws IOException;
}
