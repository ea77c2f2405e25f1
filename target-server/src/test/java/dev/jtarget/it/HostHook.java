package dev.jtarget.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lets the VM harness's {@code --host-hook} ask this JVM to act, for actions only the test can take (restarting the
 * {@link TestServer} it owns). The hook command writes a request file and waits for the answer file; a daemon thread
 * here runs the action for each request and answers with its outcome. The files live in a directory of their own.
 */
final class HostHook implements AutoCloseable {
    private static final Duration POLL = Duration.ofMillis(100);

    private final Path request;
    private final Path done;
    private final Thread watcher;
    private final AtomicInteger actions = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean closed;

    private HostHook(Path dir, Runnable action) {
        this.request = dir.resolve("request");
        this.done = dir.resolve("done");
        this.watcher = Thread.ofPlatform().daemon().name("host-hook").start(() -> watch(action));
    }

    /** Runs {@code action} whenever the hook command of {@link #command} asks; {@code dir} must be empty. */
    static HostHook serving(Path dir, Runnable action) {
        return new HostHook(dir, action);
    }

    /**
     * The {@code bash} command for {@code --host-hook}: waits {@code delay}, asks for the action and waits at most
     * {@code limit} for it to finish; exits 0 only when it succeeded.
     */
    String command(Duration delay, Duration limit) {
        long polls = limit.toMillis() / POLL.toMillis();
        return "sleep " + delay.toSeconds() + "; rm -f '" + done + "'; touch '" + request + "'; for i in $(seq "
                + polls + "); do if [ -e '" + done + "' ]; then exit \"$(cat '" + done + "')\"; fi; sleep 0.1; done;"
                + " echo 'the test JVM did not answer the hook' >&2; exit 1";
    }

    /** How many times the action ran. */
    int actions() {
        return actions.get();
    }

    /** The first exception an action threw, rethrown as the test's failure. */
    void rethrowFailure() {
        Throwable thrown = failure.get();
        if (thrown != null) {
            throw new AssertionError("the host hook's action failed", thrown);
        }
    }

    private void watch(Runnable action) {
        while (!closed) {
            if (Files.exists(request)) {
                int status = 0;
                try {
                    action.run();
                    actions.incrementAndGet();
                } catch (RuntimeException | AssertionError e) {
                    failure.compareAndSet(null, e);
                    status = 1;
                }
                try {
                    Files.delete(request);
                    // Renamed into place, so the hook never reads a half-written answer.
                    Path answer = Files.writeString(done.resolveSibling("done.tmp"), Integer.toString(status));
                    Files.move(answer, done, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
    }
}
