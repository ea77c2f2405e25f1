package dev.jtarget.it;

import java.nio.file.Path;
import java.util.List;

/**
 * A running iSCSI target process on loopback that the integration tests drive: our server ({@link TestServer}) or,
 * for comparison, tgtd ({@link TgtdServer}). {@link #start} picks one from {@code -Djtarget.it.target=jtarget|tgtd}.
 */
interface TargetUnderTest extends AutoCloseable {

    /** Starts the implementation selected by {@code -Djtarget.it.target} (default: our server). */
    static TargetUnderTest start(String runName, Path workDir, List<TargetSpec> targets) {
        String which = selected();
        return switch (which) {
            case "jtarget" -> TestServer.start(runName, workDir, targets);
            case "tgtd" -> TgtdServer.start(runName, workDir, targets);
            default -> throw new IllegalArgumentException(
                    "-Djtarget.it.target=" + which + ": expected jtarget (our server) or tgtd");
        };
    }

    /** What {@code -Djtarget.it.target} selects: {@code jtarget} (our server, the default) or {@code tgtd}. */
    static String selected() {
        return System.getProperty("jtarget.it.target", "jtarget");
    }

    String host();

    int port();

    /** The portal as initiators and discovery answers write it: {@code 127.0.0.1:3260}. */
    default String portal() {
        return host() + ":" + port();
    }

    /** The LUN number initiators address for the LUN configured with {@code lunId}. */
    int lunNumber(int lunId);

    /** The libiscsi/QEMU URL of a LUN without credentials: {@code iscsi://127.0.0.1:PORT/IQN/LUN}. */
    default IscsiUrl url(TargetSpec target, int lunId) {
        return IscsiUrl.lun(portal(), target.name(), lunNumber(lunId));
    }

    /** True while the target process runs; a crash or exit makes it false. */
    boolean isAlive();

    /** The last lines the target process logged, for failure messages. */
    String logTail(int lines);

    /** Asserts an initiator command succeeded; the failure message holds its output and the target's recent log. */
    default Tools.Result assertSucceeded(Tools.Result result) {
        if (!result.succeeded()) {
            throw new AssertionError(result.describe() + "\n--- target log tail ---\n" + logTail(40));
        }
        return result;
    }

    /** Stops the target process; never leaves it running. */
    @Override
    void close();
}
