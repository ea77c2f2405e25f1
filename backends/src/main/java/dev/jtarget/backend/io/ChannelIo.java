package dev.jtarget.backend.io;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the file and device backends share: positional reads and writes (pread/pwrite, safe concurrently) by a
 * {@link Transfer} from a fixed pool of daemon I/O threads, futures that fail with the {@link BackendException} itself,
 * and fdatasync on a {@link FileChannel} with a sticky failure.
 */
public final class ChannelIo {
    private final FileChannel channel;
    private final Transfer transfer;
    private final ThreadPoolExecutor io;
    private final String description;
    /**
     * The first failed fdatasync. Linux reports a writeback error to fsync only once and may drop the dirty pages, so
     * a later fsync can succeed although earlier writes were lost; every later flush therefore fails too.
     */
    private volatile IOException flushFailure;

    /**
     * @param channel      the file or device: flushed, and closed at shutdown
     * @param transfer     how reads and writes reach it: {@link Transfer#through} the channel, or aligned for O_DIRECT
     * @param threadPrefix names the I/O threads {@code <threadPrefix>-N}
     * @param description  how errors name the backend, e.g. {@code file /data/disk0.img}
     */
    public ChannelIo(FileChannel channel, Transfer transfer, String threadPrefix, int threads, String description) {
        this.channel = channel;
        this.transfer = transfer;
        this.description = description;
        AtomicInteger counter = new AtomicInteger();
        // Daemon threads: a backend someone forgot to close must not keep the JVM alive.
        this.io = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                task -> {
                    Thread thread = new Thread(task, threadPrefix + "-" + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /** Work on the I/O threads. */
    @FunctionalInterface
    public interface IoTask {
        void run() throws IOException;
    }

    /** Runs {@code task} on an I/O thread; a failure becomes a BackendException of {@code failureKind} or NO_SPACE. */
    public CompletableFuture<Void> submit(String operation, Kind failureKind, IoTask task) {
        // Completed by hand rather than with runAsync, so a failed future carries the BackendException itself and
        // not a CompletionException around it, exactly like the backends that fail synchronously.
        CompletableFuture<Void> result = new CompletableFuture<>();
        try {
            io.execute(() -> {
                try {
                    task.run();
                    result.complete(null);
                } catch (Throwable t) {
                    result.completeExceptionally(
                            classify(operation + " on " + description, t, failureKind));
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(
                    new BackendException(Kind.NOT_READY, operation + " refused: " + description + " is closed", e));
        }
        return result;
    }

    /** Classifies an I/O failure for the SCSI layer; {@code ioKind} is the medium error of the operation. */
    static BackendException classify(String context, Throwable failure, Kind ioKind) {
        if (failure instanceof BackendException backendException) {
            return backendException;
        }
        if (failure instanceof ClosedChannelException) {
            return new BackendException(Kind.NOT_READY, context + ": backend closed", failure);
        }
        if (isOutOfSpace(failure)) {
            return new BackendException(Kind.NO_SPACE, context + ": " + failure.getMessage(), failure);
        }
        return new BackendException(ioKind, context + ": " + failure, failure);
    }

    /** ENOSPC or EDQUOT: an errno from our own libc calls, or strerror text, all the JDK gives for its calls. */
    private static boolean isOutOfSpace(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof Libc.ErrnoException errno && errno.isOutOfSpace()) {
                return true;
            }
            String message = t.getMessage();
            if (message != null && (message.contains("No space left") || message.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * A backend's write: {@code sources} written back to back from {@code offset} on an I/O thread and, for a FUA
     * write, made durable before the future completes.
     */
    public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
        return submit("write " + offset + "+" + remaining(sources), Kind.WRITE_ERROR, () -> {
            writeFully(offset, sources);
            if (fua) {
                force();
            }
        });
    }

    /** A backend's flush: fdatasync on an I/O thread, behind the requests queued before it. */
    public CompletableFuture<Void> flush() {
        return submit("flush", Kind.WRITE_ERROR, this::force);
    }

    /** The bytes left in all of {@code buffers}. */
    public static long remaining(ByteBuffer[] buffers) {
        long length = 0;
        for (ByteBuffer buffer : buffers) {
            length += buffer.remaining();
        }
        return length;
    }

    /** See {@link Transfer#readFully}: false when the end of the file came first. */
    public boolean readFully(long offset, ByteBuffer destination) throws IOException {
        return transfer.readFully(offset, destination);
    }

    /** Writes the buffers back to back from {@code offset}, looping over short writes. */
    public void writeFully(long offset, ByteBuffer[] sources) throws IOException {
        transfer.writeFully(offset, sources);
    }

    /** fdatasync; once one has failed, every later one fails too (see {@link #flushFailure}). */
    public void force() throws IOException {
        IOException earlier = flushFailure;
        if (earlier != null) {
            throw new IOException("an earlier flush of " + description
                    + " failed, so data written before it may be lost", earlier);
        }
        try {
            channel.force(false); // fdatasync: the data plus the metadata needed to read it back
        } catch (ClosedChannelException closedChannel) {
            throw closedChannel;
        } catch (IOException e) {
            flushFailure = e;
            throw e;
        }
    }

    /**
     * Lets queued requests finish, waiting at most {@code grace}, then closes the channel. Never interrupts the I/O
     * threads: an interrupt inside a FileChannel operation closes the whole channel. Returns whether all I/O finished.
     */
    public boolean shutdown(Duration grace) throws IOException {
        io.shutdown();
        boolean drained = false;
        try {
            drained = io.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.close(); // requests still running fail with AsynchronousCloseException, reported as NOT_READY
        if (drained) {
            // Only now: a transfer still running would otherwise hand freed memory to the kernel.
            transfer.release();
        }
        return drained;
    }
}
