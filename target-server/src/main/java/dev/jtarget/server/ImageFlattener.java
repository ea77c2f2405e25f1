package dev.jtarget.server;

import dev.jtarget.backend.BlockBackend;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;

/**
 * Writes what a disk reads as into a new raw image file: for a clone, its golden image with the overlay's writes on
 * top, which is what {@code jtarget image promote} makes the next image version of. Runs of zeros are left as holes,
 * so the image is as sparse as the disk's data allows. The file appears complete or not at all: it is written under
 * a temporary name, made durable, renamed into place, and the rename made durable in its directory.
 */
final class ImageFlattener {
    /** Bytes read and written at a time; also the granularity of holes. */
    static final int CHUNK_BYTES = 1 << 20;

    private ImageFlattener() {
    }

    /**
     * Copies every byte of {@code disk} into a new file {@code image}; returns the bytes of data written (the rest
     * are holes). Refuses to overwrite an existing file.
     */
    static long flatten(BlockBackend disk, Path image) throws IOException {
        if (Files.exists(image)) {
            throw new IOException(image + " already exists");
        }
        Path partial = image.resolveSibling(image.getFileName() + ".partial");
        Files.deleteIfExists(partial); // left by a promotion the server did not finish
        long size = disk.sizeBytes();
        long written = 0;
        boolean done = false;
        try (RandomAccessFile file = new RandomAccessFile(partial.toFile(), "rw")) {
            file.setLength(size); // a hole everywhere nothing is written
            FileChannel channel = file.getChannel();
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES);
            for (long offset = 0; offset < size; offset += CHUNK_BYTES) {
                int length = (int) Math.min(CHUNK_BYTES, size - offset);
                chunk.clear().limit(length);
                read(disk, offset, chunk.slice(0, length));
                chunk.position(0).limit(length);
                if (!isZero(chunk)) {
                    while (chunk.hasRemaining()) {
                        channel.write(chunk, offset + chunk.position());
                    }
                    written += length;
                }
            }
            channel.force(true);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(partial);
            }
        }
        DurableFiles.moveIntoPlace(partial, image);
        return written;
    }

    private static void read(BlockBackend disk, long offset, ByteBuffer destination) throws IOException {
        try {
            disk.read(offset, destination).join();
        } catch (CompletionException e) {
            throw new IOException("reading " + disk.describe() + " at " + offset + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    private static boolean isZero(ByteBuffer chunk) {
        for (int i = chunk.position(); i + 8 <= chunk.limit(); i += 8) {
            if (chunk.getLong(i) != 0) {
                return false;
            }
        }
        for (int i = chunk.limit() & ~7; i < chunk.limit(); i++) {
            if (chunk.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
