package dev.jtarget.it.backends;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Our NBD peer as a user runs it, {@code jtarget peer --export NAME=PATH,size=SIZE --listen 127.0.0.1:PORT}, in a
 * separate JVM so that a test can kill it like a crashed machine and start it again on the same port.
 */
final class PeerProcess implements AutoCloseable {
    private final Path log;
    private final int port;
    private final String export;
    private Process process;

    private PeerProcess(Path log, int port, String export) {
        this.log = log;
        this.port = port;
        this.export = export;
    }

    /** Serves {@code image} (created sparse at {@code size} when absent) as export {@code name} on a free port. */
    static PeerProcess start(Path log, String name, Path image, String size) throws IOException, InterruptedException {
        PeerProcess peer = new PeerProcess(log, Processes.freePort(), name + "=" + image + ",size=" + size);
        peer.launch();
        return peer;
    }

    String uri(String name) {
        return "nbd://127.0.0.1:" + port + "/" + name;
    }

    /** SIGKILL: the peer dies without flushing or saying goodbye. */
    void kill() throws InterruptedException {
        Processes.kill(process);
    }

    /** Starts it again after {@link #kill()}, on the same port with the same export. */
    void restart() throws IOException, InterruptedException {
        if (process.isAlive()) {
            throw new IllegalStateException("the peer is still running");
        }
        launch();
    }

    private void launch() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java runs this JVM"));
        // The shipped logback.xml, not the tests' quiet one: the peer's log is what a failure message shows.
        process = Processes.startServer(log, java, "-cp", System.getProperty("java.class.path"),
                "--enable-native-access=ALL-UNNAMED", "-Dlogback.configurationFile=logback.xml",
                "dev.jtarget.server.Main", "peer", "--export", export, "--listen", "127.0.0.1:" + port);
        Processes.awaitListening(process.toHandle(), port, log);
    }

    /** SIGTERM, so the peer flushes and stops as on a clean shutdown. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                Processes.kill(process);
                throw new AssertionError("the NBD peer ignored SIGTERM for 30 s");
            }
        }
    }
}
