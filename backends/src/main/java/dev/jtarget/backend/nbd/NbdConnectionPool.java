package dev.jtarget.backend.nbd;

import dev.jtarget.backend.BackendException;
import dev.jtarget.backend.BackendException.Kind;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands requests to the connections that are up, at most {@code maxInFlightPerConnection} each, and queues the rest.
 * When a connection ends, its unanswered requests go back to the front of the queue and are retried on the next
 * connection (NBD writes are idempotent: writing the same data twice leaves the same result).
 *
 * <p>While no connection is up, queued requests wait for one up to the unavailable timeout, then fail with NOT_READY
 * so the initiator retries. FLUSH never waits and is never retried: a flush on a new connection would not cover writes
 * the old one completed, which a restarted peer may have lost.
 *
 * <p>For the same reason, when a connection is lost while completed writes are not yet flushed, the next flush fails
 * with NOT_READY: the writer must assume those writes may be gone, write them again and flush again.
 */
final class NbdConnectionPool {
    private static final Logger log = LoggerFactory.getLogger(NbdConnectionPool.class);
    private static final long UNAVAILABLE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final String peer;
    private final int maxInFlightPerConnection;
    private final long unavailableTimeoutNanos;
    private final EventExecutor timer;
    private final Object lock = new Object();
    // Everything below is guarded by lock.
    private final ArrayDeque<NbdRequest> queue = new ArrayDeque<>();
    private final List<NbdClientConnection> ready = new ArrayList<>();
    private boolean closed;
    private long unavailableSinceNanos = System.nanoTime();
    private ScheduledFuture<?> unavailableCheck;
    /** Successful non-FUA writes, trims and zeroings so far, and how many of them a successful flush covered. */
    private long writesCompleted;
    private long writesFlushed;
    private boolean unflushedWritesMayBeLost;

    NbdConnectionPool(String peer, int maxInFlightPerConnection, long unavailableTimeoutNanos, EventExecutor timer) {
        this.peer = peer;
        this.maxInFlightPerConnection = maxInFlightPerConnection;
        this.unavailableTimeoutNanos = unavailableTimeoutNanos;
        this.timer = timer;
        synchronized (lock) {
            watchUnavailable();
        }
    }

    void submit(NbdRequest request) {
        NbdClientConnection target = null;
        BackendException refusal = null;
        synchronized (lock) {
            if (closed) {
                refusal = new BackendException(Kind.NOT_READY, request.describe() + " refused: " + peer
                        + " is closed");
            } else if (request.isFlush() && ready.isEmpty()) {
                refusal = new BackendException(Kind.NOT_READY, request.describe() + " refused: " + peer
                        + " is unreachable");
            } else if (request.isFlush() && unflushedWritesMayBeLost) {
                unflushedWritesMayBeLost = false;
                refusal = new BackendException(Kind.NOT_READY, request.describe() + " refused: a connection to "
                        + peer + " was lost while completed writes were not yet flushed; they may be lost");
            } else {
                if (request.isFlush()) {
                    request.writesCoveredByFlush = writesCompleted;
                }
                target = leastBusy();
                if (target != null) {
                    target.assigned++;
                } else {
                    request.waitingSinceNanos = System.nanoTime();
                    queue.addLast(request);
                }
            }
        }
        if (refusal != null) {
            request.fail(refusal);
        } else if (target != null) {
            target.send(request);
        }
    }

    private NbdClientConnection leastBusy() {
        NbdClientConnection best = null;
        for (NbdClientConnection connection : ready) {
            boolean hasRoom = connection.assigned < maxInFlightPerConnection;
            if (hasRoom && (best == null || connection.assigned < best.assigned)) {
                best = connection;
            }
        }
        return best;
    }

    /** A connection finished its handshake and takes requests. */
    void connectionReady(NbdClientConnection connection) {
        List<NbdRequest> toSend;
        synchronized (lock) {
            if (closed) {
                connection.disconnect();
                return;
            }
            ready.add(connection);
            connection.assigned = 0;
            stopWatchingUnavailable();
            toSend = takeQueued(connection);
        }
        toSend.forEach(connection::send);
    }

    /** The server answered {@code request} on {@code connection} with {@code error} (0 for success). */
    void answered(NbdClientConnection connection, NbdRequest request, int error) {
        List<NbdRequest> toSend;
        synchronized (lock) {
            connection.assigned--;
            if (error == 0 && request.leavesUnflushedData()) {
                writesCompleted++;
            } else if (error == 0 && request.isFlush()) {
                writesFlushed = Math.max(writesFlushed, request.writesCoveredByFlush);
            }
            toSend = ready.contains(connection) ? takeQueued(connection) : List.of();
        }
        toSend.forEach(connection::send);
        if (error == 0) {
            request.complete();
        } else {
            request.fail(request.failureFor(error, peer));
        }
    }

    /** The request must be sent again, elsewhere or later (the server is shutting down this connection). */
    void retry(NbdClientConnection connection, NbdRequest request) {
        synchronized (lock) {
            connection.assigned--;
        }
        requeue(List.of(request));
    }

    /** The connection could not send a request it was given (it closed meanwhile). */
    void unsent(NbdClientConnection connection, NbdRequest request) {
        retry(connection, request);
    }

    /** The connection takes no more requests; those it has are still answered. */
    void draining(NbdClientConnection connection) {
        synchronized (lock) {
            ready.remove(connection);
            if (ready.isEmpty()) {
                becameUnavailable();
            }
        }
    }

    /** The connection ended; {@code unanswered} are its requests without a reply, oldest first. */
    void connectionLost(NbdClientConnection connection, List<NbdRequest> unanswered) {
        boolean wasReady;
        synchronized (lock) {
            wasReady = ready.remove(connection);
            connection.assigned -= unanswered.size();
            if (writesCompleted > writesFlushed) {
                unflushedWritesMayBeLost = true;
            }
            if (wasReady && ready.isEmpty()) {
                becameUnavailable();
            }
        }
        if (wasReady && !isClosed()) {
            log.warn("{}: connection lost{}", connection.peer(), unanswered.isEmpty() ? ""
                    : "; " + unanswered.size() + " unanswered request(s) will be retried");
        }
        requeue(unanswered);
    }

    private void requeue(List<NbdRequest> requests) {
        List<NbdRequest> failed = new ArrayList<>();
        List<Runnable> sends = new ArrayList<>();
        boolean poolClosed;
        synchronized (lock) {
            poolClosed = closed;
            long now = System.nanoTime();
            for (int i = requests.size() - 1; i >= 0; i--) {
                NbdRequest request = requests.get(i);
                if (closed || request.isFlush()) {
                    failed.add(request);
                } else {
                    request.waitingSinceNanos = now;
                    queue.addFirst(request);
                }
            }
            if (ready.isEmpty()) {
                failed.addAll(removeQueuedFlushes());
            }
            for (NbdClientConnection connection : ready) {
                for (NbdRequest request : takeQueued(connection)) {
                    sends.add(() -> connection.send(request));
                }
            }
        }
        sends.forEach(Runnable::run);
        for (NbdRequest request : failed) {
            request.fail(new BackendException(Kind.NOT_READY, request.describe() + " failed: the connection to "
                    + peer + (poolClosed ? " was closed" : " was lost")));
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Fills the connection up to its limit from the queue; caller holds the lock. */
    private List<NbdRequest> takeQueued(NbdClientConnection connection) {
        List<NbdRequest> taken = new ArrayList<>();
        while (connection.assigned < maxInFlightPerConnection && !queue.isEmpty()) {
            taken.add(queue.pollFirst());
            connection.assigned++;
        }
        return taken;
    }

    private List<NbdRequest> removeQueuedFlushes() {
        List<NbdRequest> flushes = new ArrayList<>();
        for (Iterator<NbdRequest> it = queue.iterator(); it.hasNext(); ) {
            NbdRequest request = it.next();
            if (request.isFlush()) {
                it.remove();
                flushes.add(request);
            }
        }
        return flushes;
    }

    private void becameUnavailable() {
        unavailableSinceNanos = System.nanoTime();
        watchUnavailable();
    }

    private void watchUnavailable() {
        if (unavailableCheck == null && !closed) {
            unavailableCheck = timer.scheduleAtFixedRate(this::failRequestsWaitingTooLong, UNAVAILABLE_CHECK_NANOS,
                    UNAVAILABLE_CHECK_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    private void stopWatchingUnavailable() {
        if (unavailableCheck != null) {
            unavailableCheck.cancel(false);
            unavailableCheck = null;
        }
    }

    private void failRequestsWaitingTooLong() {
        List<NbdRequest> expired = new ArrayList<>();
        synchronized (lock) {
            if (!ready.isEmpty()) {
                return;
            }
            long now = System.nanoTime();
            for (Iterator<NbdRequest> it = queue.iterator(); it.hasNext(); ) {
                NbdRequest request = it.next();
                // A request queued while connections were up has waited for the peer only since they went down.
                long waitedNanos = now - Math.max(request.waitingSinceNanos, unavailableSinceNanos);
                if (waitedNanos > unavailableTimeoutNanos) {
                    it.remove();
                    expired.add(request);
                }
            }
        }
        for (NbdRequest request : expired) {
            request.fail(new BackendException(Kind.NOT_READY, request.describe() + " failed: " + peer
                    + " has been unreachable for " + TimeUnit.NANOSECONDS.toMillis(unavailableTimeoutNanos) + " ms"));
        }
    }

    /** Number of connections currently taking requests. */
    int readyConnections() {
        synchronized (lock) {
            return ready.size();
        }
    }

    /** Fails everything queued and disconnects every connection; requests in flight fail as their connections end. */
    void close() {
        List<NbdRequest> queued;
        List<NbdClientConnection> connections;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            stopWatchingUnavailable();
            queued = new ArrayList<>(queue);
            queue.clear();
            connections = new ArrayList<>(ready);
            ready.clear();
        }
        for (NbdRequest request : queued) {
            request.fail(new BackendException(Kind.NOT_READY, request.describe() + " failed: " + peer
                    + " was closed"));
        }
        connections.forEach(NbdClientConnection::disconnect);
    }
}
