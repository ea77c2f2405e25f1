package dev.jtarget.it.backends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fio's {@code nbd} engine (libnbd, a client nobody here wrote) against our peer server: four jobs, each on its own
 * NBD connection with 8 requests in flight, write random 4 KiB or 64 KiB blocks over their own quarter of the export
 * with a flush every 32 writes, then read every block back and check its crc32c. Disjoint regions, so one job's
 * verification never sees another's data.
 */
@Tag("integration")
class FioNbdEngineTest {
    private static final int JOBS = 4;
    private static final int REGION_MIB = 16;
    private static final Pattern JOB_WITHOUT_ERRORS = Pattern.compile("\\(groupid=\\d+, jobs=1\\): err= 0:");
    /** The summary of the verification reads: every written byte was read back. */
    private static final Pattern ALL_READ_BACK = Pattern.compile("READ: .*io=" + JOBS * REGION_MIB + "\\.0MiB");

    @TempDir
    Path logs;

    @Test
    void randomWritesOfFourAndSixtyFourKibibytesVerifyOverManyConnections() throws Exception {
        Processes.assumeInstalled("fio", "fio");
        try (Scratch scratch = new Scratch();
             PeerProcess peer = PeerProcess.start(logs.resolve("peer.log"), "disk", scratch.resolve("peer.img"),
                     JOBS * REGION_MIB + "M")) {
            List<String> command = new ArrayList<>(List.of("fio", "--ioengine=nbd", "--uri=" + peer.uri("disk"),
                    "--rw=randwrite", "--verify=crc32c", "--verify_fatal=1", "--iodepth=8", "--fsync=32",
                    "--size=" + REGION_MIB + "M",
                    // fio would otherwise leave a verify state file per job in the working directory.
                    "--verify_state_save=0"));
            for (int job = 0; job < JOBS; job++) {
                String blockSize = job < JOBS / 2 ? "4k" : "64k";
                command.addAll(List.of("--name=random" + blockSize + "-" + job, "--bs=" + blockSize,
                        "--offset=" + job * REGION_MIB + "M"));
            }

            Processes.Result fio = Processes.run(logs.resolve("fio.log"), 300, command.toArray(String[]::new));

            assertEquals(0, fio.exitCode(), "fio failed:\n" + fio.output());
            assertEquals(JOBS, JOB_WITHOUT_ERRORS.matcher(fio.output()).results().count(),
                    "every job finishes without an error:\n" + fio.output());
            assertFalse(fio.output().contains("verify:"), "no verification failure:\n" + fio.output());
            assertTrue(ALL_READ_BACK.matcher(fio.output()).find(), "every block was read back:\n" + fio.output());
        }
    }
}
