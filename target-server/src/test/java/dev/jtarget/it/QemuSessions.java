package dev.jtarget.it;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Sessions of qemu's iSCSI driver (libiscsi) with a LUN 0 of a running server, logging in under any initiator name:
 * how the clone-per-initiator tests act as several machines.
 */
final class QemuSessions {
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(60);

    private final TestServer server;
    /** Where whole-disk copies are written. */
    private final Path workDir;

    QemuSessions(TestServer server, Path workDir) {
        this.server = server;
        this.workDir = workDir;
    }

    /** qemu's {@code --image-opts} for LUN 0 of {@code target}, logging in as {@code initiator}. */
    String imageOptions(String target, String initiator) {
        return "driver=iscsi,transport=tcp,portal=" + server.host() + ":" + server.port() + ",target=" + target
                + ",lun=0,initiator-name=" + initiator;
    }

    /** One qemu-io session running {@code commands} in order. */
    Tools.Result qemuIo(String target, String initiator, String... commands) {
        List<String> argv = new ArrayList<>(List.of("qemu-io"));
        for (String command : commands) {
            argv.add("-c");
            argv.add(command);
        }
        argv.add("--image-opts");
        argv.add(imageOptions(target, initiator));
        return Tools.command(argv.toArray(String[]::new)).timeout(SESSION_TIMEOUT).run();
    }

    /** Old qemu-io versions exit 0 after a failed command, so the verdict also rests on what it printed. */
    void assertVerified(Tools.Result session) {
        server.assertSucceeded(session);
        assertFalse(session.output().contains("Pattern verification failed") || session.output().contains("failed:"),
                session.describe());
    }

    /** The whole disk as {@code initiator} sees it, copied with qemu-img convert. */
    byte[] readWholeDisk(String target, String initiator) throws IOException {
        Path copy = workDir.resolve("copy.raw");
        Files.deleteIfExists(copy);
        server.assertSucceeded(Tools.command("qemu-img", "convert", "--image-opts", imageOptions(target, initiator),
                "-O", "raw", copy.toString()).timeout(SESSION_TIMEOUT).run());
        return Files.readAllBytes(copy);
    }
}
