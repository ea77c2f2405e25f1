package dev.jtarget.backend.file;

import static dev.jtarget.backend.BackendTestSupport.assertFailsWith;
import static dev.jtarget.backend.BackendTestSupport.await;
import static dev.jtarget.backend.BackendTestSupport.buffer;
import static dev.jtarget.backend.BackendTestSupport.randomBytes;
import static dev.jtarget.backend.BackendTestSupport.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jtarget.backend.BackendException.Kind;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBackendTest {
    private static final int BLOCK = 4096;
    private static final long MIB = 1L << 20;

    @TempDir
    Path directory;

    @Test
    void createsAMissingFileAndItsParentsSparseAtTheConfiguredSize() throws Exception {
        Path path = directory.resolve("a/b/disk.img");
        try (FileBackend backend = FileBackend.open(FileBackendOptions.of(path, 64 * MIB, BLOCK))) {
            assertEquals(64 * MIB, Files.size(path));
            assertTrue(allocatedBytes(path) < MIB, "a fresh LUN allocates (almost) nothing: " + allocatedBytes(path));
            assertArrayEquals(new byte[BLOCK], read(backend, 64 * MIB - BLOCK, BLOCK));
        }
    }

    @Test
    void discardPunchesAHoleThatReallyFreesTheBlocks() throws Exception {
        Path path = directory.resolve("disk.img");
        try (FileBackend backend = FileBackend.open(FileBackendOptions.of(path, 16 * MIB, BLOCK))) {
            fill(backend, 0, 8 * MIB);
            assertTrue(allocatedBytes(path) >= 8 * MIB, "written data is allocated: " + allocatedBytes(path));

            await(backend.discard(0, 8 * MIB));

            assertTrue(allocatedBytes(path) < MIB, "the hole is deallocated: " + allocatedBytes(path));
            assertEquals(16 * MIB, Files.size(path), "punching keeps the file size");
            assertArrayEquals(new byte[(int) (8 * MIB)], read(backend, 0, (int) (8 * MIB)));
        }
    }

    @Test
    void writeZeroesAlsoDeallocates() throws Exception {
        Path path = directory.resolve("disk.img");
        try (FileBackend backend = FileBackend.open(FileBackendOptions.of(path, 16 * MIB, BLOCK))) {
            fill(backend, 4 * MIB, 8 * MIB);

            await(backend.writeZeroes(4 * MIB, 8 * MIB, true));

            assertTrue(allocatedBytes(path) < MIB, "zeroed range is deallocated: " + allocatedBytes(path));
            assertArrayEquals(new byte[(int) (8 * MIB)], read(backend, 4 * MIB, (int) (8 * MIB)));
        }
    }

    @Test
    void refusesToShrinkALargerExistingFile() throws Exception {
        Path path = directory.resolve("disk.img");
        createFile(path, 2 * MIB);

        IOException refused = assertThrows(IOException.class,
                () -> FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK).withGrow(true)));

        assertMentions(refused, path.toString(), "2097152", "1048576", "shrink");
        assertEquals(2 * MIB, Files.size(path));
    }

    @Test
    void refusesToGrowASmallerExistingFileUnlessAsked() throws Exception {
        Path path = directory.resolve("disk.img");
        createFile(path, MIB);

        IOException refused = assertThrows(IOException.class,
                () -> FileBackend.open(FileBackendOptions.of(path, 2 * MIB, BLOCK)));

        assertMentions(refused, path.toString(), "1048576", "2097152");
        assertEquals(MIB, Files.size(path));
    }

    @Test
    void growsASmallerFileOnRequestAndKeepsItsData() throws Exception {
        Path path = directory.resolve("disk.img");
        byte[] data = randomBytes(new Random(1), BLOCK);
        try (FileBackend backend = FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK))) {
            await(backend.write(MIB - BLOCK, new ByteBuffer[] {buffer(data, false)}, true));
        }

        try (FileBackend grown = FileBackend.open(FileBackendOptions.of(path, 4 * MIB, BLOCK).withGrow(true))) {
            assertEquals(4 * MIB, grown.sizeBytes());
            assertEquals(4 * MIB, Files.size(path));
            assertArrayEquals(data, read(grown, MIB - BLOCK, BLOCK));
            assertArrayEquals(new byte[(int) (3 * MIB)], read(grown, MIB, (int) (3 * MIB)));
        }
    }

    @Test
    void reopeningAFileOfTheConfiguredSizeFindsTheFlushedData() throws Exception {
        Path path = directory.resolve("disk.img");
        byte[] data = randomBytes(new Random(2), 8 * BLOCK);
        try (FileBackend backend = FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK))) {
            await(backend.write(BLOCK, new ByteBuffer[] {buffer(data, true)}, false));
            await(backend.flush());
        }
        try (FileBackend reopened = FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK))) {
            assertArrayEquals(data, read(reopened, BLOCK, data.length));
        }
    }

    @Test
    void refusesASizeThatIsNotAMultipleOfTheBlockSize() {
        Path path = directory.resolve("disk.img");

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> FileBackendOptions.of(path, MIB + 512, BLOCK));

        assertMentions(refused, "1049088", "4096");
        assertFalse(Files.exists(path));
    }

    @Test
    void readOnlyBackendServesReadsAndRefusesEveryChange() throws Exception {
        Path path = directory.resolve("disk.img");
        byte[] data = randomBytes(new Random(3), BLOCK);
        try (FileBackend backend = FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK))) {
            await(backend.write(0, new ByteBuffer[] {buffer(data, false)}, true));
        }

        try (FileBackend readOnly = FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK).withReadOnly(true))) {
            assertTrue(readOnly.capabilities().readOnly());
            assertArrayEquals(data, read(readOnly, 0, BLOCK));
            assertFailsWith(Kind.READ_ONLY, readOnly.write(0, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));
            assertFailsWith(Kind.READ_ONLY, readOnly.discard(0, BLOCK));
            assertFailsWith(Kind.READ_ONLY, readOnly.writeZeroes(0, BLOCK, false));
            await(readOnly.flush());
            assertArrayEquals(data, read(readOnly, 0, BLOCK));
        }
    }

    @Test
    void readOnlyRefusesToCreateAMissingFile() {
        Path path = directory.resolve("missing.img");

        IOException refused = assertThrows(IOException.class,
                () -> FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK).withReadOnly(true)));

        assertMentions(refused, path.toString());
        assertFalse(Files.exists(path));
    }

    @Test
    void readsPastTheEndOfAFileShortenedBehindItsBackReturnZeros() throws Exception {
        Path path = directory.resolve("disk.img");
        try (FileBackend backend = FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK))) {
            byte[] data = fill(backend, MIB / 2 - 2 * BLOCK, 4 * BLOCK);
            try (FileChannel other = FileChannel.open(path, StandardOpenOption.WRITE)) {
                other.truncate(MIB / 2);
            }

            byte[] straddling = read(backend, MIB / 2 - 2 * BLOCK, 4 * BLOCK);

            byte[] expected = new byte[4 * BLOCK];
            System.arraycopy(data, 0, expected, 0, 2 * BLOCK);
            assertArrayEquals(expected, straddling);
            assertArrayEquals(new byte[BLOCK], read(backend, MIB - BLOCK, BLOCK));
        }
    }

    @Test
    void ioRunsOnTheBackendsOwnNamedDaemonThreadsWhichStopOnClose() throws Exception {
        Path path = directory.resolve("threads.img");
        FileBackend backend = FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK).withIoThreads(2));
        for (int i = 0; i < 20; i++) {
            await(backend.write((long) i * BLOCK, new ByteBuffer[] {ByteBuffer.allocate(BLOCK)}, false));
        }
        List<Thread> ioThreads = threadsNamed("file-io-threads.img-");
        assertFalse(ioThreads.isEmpty());
        assertTrue(ioThreads.size() <= 2, "bounded by the configured count: " + ioThreads);
        assertTrue(ioThreads.stream().allMatch(Thread::isDaemon));

        backend.close();

        for (Thread thread : ioThreads) {
            thread.join(5_000);
            assertFalse(thread.isAlive(), thread + " still runs after close");
        }
    }

    @Test
    void requestsAfterCloseFailAsNotReady() throws Exception {
        FileBackend backend = FileBackend.open(FileBackendOptions.of(directory.resolve("disk.img"), MIB, BLOCK));
        backend.close();

        assertFailsWith(Kind.NOT_READY, backend.read(0, ByteBuffer.allocate(BLOCK)));
        assertFailsWith(Kind.NOT_READY, backend.flush());
    }

    @Test
    void describeNamesTheAbsolutePath() throws Exception {
        Path path = directory.resolve("disk.img");
        try (FileBackend backend = FileBackend.open(FileBackendOptions.of(path, MIB, BLOCK))) {
            assertEquals("file " + path.toAbsolutePath(), backend.describe());
        }
    }

    @Test
    void servesAFileLargerThanTwoTebibytes() throws Exception {
        long size = 3L << 40;
        Path path = directory.resolve("huge.img");
        FileBackend backend;
        try {
            backend = FileBackend.open(FileBackendOptions.of(path, size, BLOCK));
        } catch (IOException e) {
            assumeTrue(false, "this filesystem cannot hold a sparse 3 TiB file: " + e.getMessage());
            return;
        }
        try (backend) {
            long pastTwoTebibytes = (2L << 40) + 12 * BLOCK;
            byte[] middle = fill(backend, pastTwoTebibytes, 2 * BLOCK);
            byte[] end = fill(backend, size - BLOCK, BLOCK);

            assertArrayEquals(middle, read(backend, pastTwoTebibytes, 2 * BLOCK));
            assertArrayEquals(end, read(backend, size - BLOCK, BLOCK));
            await(backend.discard(size - BLOCK, BLOCK));
            assertArrayEquals(new byte[BLOCK], read(backend, size - BLOCK, BLOCK));
            assertFailsWith(Kind.OUT_OF_RANGE, backend.read(size, ByteBuffer.allocate(BLOCK)));
            assertTrue(allocatedBytes(path) < MIB, "still sparse: " + allocatedBytes(path));
        }
    }

    /** Writes random data over the range with FUA (so it is allocated on disk) and returns it. */
    private static byte[] fill(FileBackend backend, long offset, long length) throws Exception {
        byte[] data = randomBytes(new Random(offset), (int) length);
        await(backend.write(offset, new ByteBuffer[] {buffer(data, true)}, true));
        return data;
    }

    private static void createFile(Path path, long length) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(length);
        }
    }

    /** The space the file really occupies, as {@code du} reports it (st_blocks). */
    private static long allocatedBytes(Path path) throws IOException, InterruptedException {
        Process du = new ProcessBuilder("du", "-k", "--", path.toString()).redirectErrorStream(true).start();
        String output = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, du.waitFor(), output);
        return Long.parseLong(output.split("\\s+")[0]) * 1024;
    }

    private static List<Thread> threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(prefix))
                .toList();
    }

    private static void assertMentions(Exception e, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention " + fragment);
        }
    }
}
