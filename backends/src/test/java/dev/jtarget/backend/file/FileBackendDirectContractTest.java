package dev.jtarget.backend.file;

import static dev.jtarget.backend.BackendTestSupport.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.nio.file.ExtendedOpenOption;
import dev.jtarget.backend.BackendException.Kind;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The backend contract over files opened with O_DIRECT, in blocks of the filesystem's block size. The files live in
 * the build directory, on a disk filesystem: the point is the kernel's alignment checks, which tmpfs (the usual
 * temporary directory) did not make before Linux 6.6, refusing O_DIRECT altogether. Then what only O_DIRECT asks:
 * block sizes and requests in whole filesystem blocks.
 */
class FileBackendDirectContractTest extends BlockBackendContract {
    private static final Path DIRECTORY = Path.of("target", "direct-io-tests").toAbsolutePath();
    private static final long MIB = 1L << 20;
    private static final int ALIGNMENT = alignment();

    private final List<Path> files = new ArrayList<>();

    FileBackendDirectContractTest() {
        super(ALIGNMENT);
    }

    private static int alignment() {
        try {
            Files.createDirectories(DIRECTORY);
            return FileBackend.directAlignment(DIRECTORY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeEach
    void requireDirectIo() throws IOException {
        Path probe = Files.createTempFile(DIRECTORY, "probe-", ".img");
        try (FileChannel ignored = FileChannel.open(probe, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            // Opened: the filesystem takes O_DIRECT.
        } catch (IOException refused) {
            assumeTrue(false, "the filesystem of " + DIRECTORY + " refuses O_DIRECT (" + refused.getMessage()
                    + "): skipping the direct file backend contract");
        } finally {
            Files.delete(probe);
        }
    }

    @Override
    protected BlockBackend newBackend(long sizeBytes, int blockSize) throws Exception {
        Path path = Files.createTempFile(DIRECTORY, "lun-", ".img");
        files.add(path);
        Files.delete(path); // the backend creates it sparse at the size asked for
        return FileBackend.open(FileBackendOptions.of(path, sizeBytes, blockSize).withDirect(true));
    }

    @Test
    void aBlockSizeSmallerThanTheFilesystemsBlocksIsRefusedAtOpen() throws Exception {
        assumeTrue(ALIGNMENT > 512, "the filesystem's blocks are 512 bytes: every block size fits");
        Path path = DIRECTORY.resolve("small-blocks.img");
        files.add(path);

        IOException refused = assertThrows(IOException.class,
                () -> FileBackend.open(FileBackendOptions.of(path, MIB, 512).withDirect(true)));

        assertTrue(refused.getMessage().contains("not a multiple of the " + ALIGNMENT + "-byte blocks"),
                refused.getMessage());
    }

    @Test
    void requestsInPartsOfAFilesystemBlockFailOutOfRange() throws Exception {
        assumeTrue(ALIGNMENT > 512, "the filesystem's blocks are 512 bytes: no request is smaller");
        BlockBackend backend = backend(MIB, ALIGNMENT);

        assertFailsWith(Kind.OUT_OF_RANGE, backend.read(512, ByteBuffer.allocate(ALIGNMENT)));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.write(0, new ByteBuffer[] {ByteBuffer.allocate(512)}, false));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.writeZeroes(ALIGNMENT, 512, false));
        assertFailsWith(Kind.OUT_OF_RANGE, backend.discard(512, ALIGNMENT));
    }

    /** Unlinking open files is fine: the backends closed after this still hold them until then. */
    @AfterEach
    void deleteFiles() throws IOException {
        for (Path file : files) {
            Files.deleteIfExists(file);
        }
    }
}
