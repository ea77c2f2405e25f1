package dev.jtarget.backend.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code st_blocks} through stat(2): a sparse file's allocation, not its size. */
class LibcAllocatedBytesTest {
    private static final int SIZE = 8 << 20;

    @TempDir
    Path dir;

    @Test
    void sparseFilesReportOnlyTheirWrittenBlocks() throws IOException {
        Path sparse = dir.resolve("sparse");
        try (RandomAccessFile file = new RandomAccessFile(sparse.toFile(), "rw")) {
            file.setLength(SIZE);
            file.seek(SIZE / 2);
            file.write(new byte[] {1, 2, 3});
        }
        long allocated = Libc.allocatedBytes(sparse.toString());
        assertTrue(allocated >= 512 && allocated <= 1 << 20, "one written block of 8 MiB: " + allocated);

        Path full = Files.write(dir.resolve("full"), new byte[SIZE]);
        assertTrue(Libc.allocatedBytes(full.toString()) >= SIZE, "written everywhere");
        assertThrows(IOException.class, () -> Libc.allocatedBytes(dir.resolve("missing").toString()));
    }
}
