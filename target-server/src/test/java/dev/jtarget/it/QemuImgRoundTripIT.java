package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QEMU's iSCSI driver (libiscsi underneath) writes 64 MiB of random data to a LUN and reads it back byte for byte. */
@Tag("integration")
class QemuImgRoundTripIT {
    private static final long SIZE = mib(64);
    /** The LUN is exactly the file's size, so reading the whole LUN back yields exactly what was written. */
    private static final TargetSpec DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.qemu-img").withLun(0, SIZE);
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(2);

    private static TargetUnderTest target;

    @BeforeAll
    static void startTarget(@TempDir Path workDir) {
        Tools.require("qemu-img");
        target = TargetUnderTest.start("qemu-img", workDir, List.of(DISK));
    }

    @AfterAll
    static void stopTarget() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void randomFileWrittenWithQemuImgReadsBackIdentical(@TempDir Path files) throws IOException {
        Path original = randomFile(files.resolve("original.bin"), 1);
        Path readBack = files.resolve("read-back.bin");
        String url = target.url(DISK, 0).toString();

        target.assertSucceeded(copy("convert", "-n", "-f", "raw", "-O", "raw", original.toString(), url));
        target.assertSucceeded(copy("convert", "-f", "raw", "-O", "raw", url, readBack.toString()));

        assertSameBytes(original, readBack);
    }

    /**
     * Header digests are asked for with QEMU's {@code header-digest} option, the same setting as libiscsi's
     * {@code ?header_digest=crc32c} URL argument. libiscsi goes on without digests when a target answers None, so
     * its login trace must show that the target agreed to CRC32C; libiscsi never offers data digests.
     */
    @Test
    void randomFileRoundTripsWithCrc32cHeaderDigests(@TempDir Path files) throws IOException {
        Path original = randomFile(files.resolve("original.bin"), 2);
        Path readBack = files.resolve("read-back.bin");
        String options = target.url(DISK, 0).qemuImageOpts("header-digest=crc32c");

        Tools.Result write = target.assertSucceeded(
                copy("convert", "-n", "-f", "raw", "--target-image-opts", original.toString(), options));
        Tools.Result read = target.assertSucceeded(
                copy("convert", "--image-opts", options, "-O", "raw", readBack.toString()));

        assertEquals("CRC32C", write.find("TargetLoginReply: HeaderDigest=(\\S+)"), write.describe());
        assertEquals("CRC32C", read.find("TargetLoginReply: HeaderDigest=(\\S+)"), read.describe());
        assertSameBytes(original, readBack);
    }

    private static Tools.Result copy(String... qemuImgArguments) {
        String[] argv = new String[qemuImgArguments.length + 1];
        argv[0] = "qemu-img";
        System.arraycopy(qemuImgArguments, 0, argv, 1, qemuImgArguments.length);
        // Level 6 logs the login keys both sides settled on; QEMU hands LIBISCSI_DEBUG through to libiscsi.
        return Tools.command(argv).env("LIBISCSI_DEBUG", "6").timeout(COPY_TIMEOUT).run();
    }

    /** Distinct seeds per test, so a LUN still holding an earlier test's data cannot pass for a good read. */
    private static Path randomFile(Path file, long seed) throws IOException {
        byte[] data = new byte[(int) SIZE];
        new SplittableRandom(seed).nextBytes(data);
        return Files.write(file, data);
    }

    private static void assertSameBytes(Path expected, Path actual) throws IOException {
        byte[] want = Files.readAllBytes(expected);
        byte[] got = Files.readAllBytes(actual);
        assertEquals(want.length, got.length, "length of the data read back");
        int offset = Arrays.mismatch(want, got);
        if (offset >= 0) {
            fail("data read back differs from what was written, first at byte " + offset + " (LBA " + offset / 512
                    + "); target log tail:\n" + target.logTail(40));
        }
    }
}
