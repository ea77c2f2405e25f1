package dev.jtarget.it.backends;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A directory for disk images: on tmpfs when there is one, so that the NBD servers' fsyncs do not wait on a disk
 * that other builds keep busy; deleted with everything in it on close.
 */
final class Scratch implements AutoCloseable {
    private final Path directory;

    Scratch() {
        Path shm = Path.of("/dev/shm");
        try {
            directory = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "jtarget-it-")
                    : Files.createTempDirectory("jtarget-it-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path resolve(String name) {
        return directory.resolve(name);
    }

    /** A sparse file of {@code size} bytes, reading as zeros. */
    Path sparseImage(String name, long size) throws IOException {
        Path image = directory.resolve(name);
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(size);
        }
        return image;
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(directory);
    }
}
