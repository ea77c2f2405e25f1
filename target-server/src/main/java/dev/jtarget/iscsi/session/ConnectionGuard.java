package dev.jtarget.iscsi.session;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Protects the server from clients that open connections without end or guess CHAP secrets: caps the connections
 * open at once, in total and per IP address, and counts failed authentications per address so that CHAP challenges
 * to an address that keeps failing are held back longer and longer. Thread-safe: every event loop calls it.
 */
public final class ConnectionGuard {
    /** Failures are forgotten this long after the last one, so a typo does not slow an address down for good. */
    private static final Duration FAILURE_MEMORY = Duration.ofMinutes(10);
    /** Bounds the failure table, however many addresses a scan comes from. */
    private static final int MAX_REMEMBERED_ADDRESSES = 100_000;
    /** A flood must not flood the log as well: refusals are reported at most this often. */
    private static final long REFUSAL_REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int maxConnections;
    private final int maxConnectionsPerAddress;
    private final Duration failureDelay;
    private final Duration maxFailureDelay;
    private final Map<InetAddress, Integer> openByAddress = new HashMap<>();
    private int open;
    private boolean refusalReported;
    private long lastRefusalReportNanos;
    private int refusalsNotReported;
    private final Cache<InetAddress, Integer> failures = CacheBuilder.newBuilder()
            .maximumSize(MAX_REMEMBERED_ADDRESSES)
            .expireAfterWrite(FAILURE_MEMORY)
            .build();

    public ConnectionGuard(int maxConnections, int maxConnectionsPerAddress, Duration failureDelay,
                           Duration maxFailureDelay) {
        this.maxConnections = maxConnections;
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
        this.failureDelay = failureDelay;
        this.maxFailureDelay = maxFailureDelay;
    }

    /** No caps and no delays: for servers in tests that exercise something else. */
    public static ConnectionGuard unlimited() {
        return new ConnectionGuard(Integer.MAX_VALUE, Integer.MAX_VALUE, Duration.ZERO, Duration.ZERO);
    }

    /**
     * Why a connection was refused. {@code report} is false for refusals that follow the last reported one too
     * closely; the next reported refusal carries how many were not reported in {@code notReported}.
     */
    record Refusal(String reason, boolean report, int notReported) {
    }

    /**
     * Counts a new connection from {@code address} (null when the transport has none). Returns null when it is
     * admitted, otherwise the refusal; a refused connection is not counted.
     */
    synchronized Refusal admit(InetAddress address, long nowNanos) {
        int fromAddress = address == null ? 0 : openByAddress.getOrDefault(address, 0);
        String reason = open >= maxConnections ? "the server already has " + open + " connections"
                : fromAddress >= maxConnectionsPerAddress ? "the address already has " + fromAddress + " connections"
                : null;
        if (reason != null) {
            return refusal(reason, nowNanos);
        }
        open++;
        if (address != null) {
            openByAddress.put(address, fromAddress + 1);
        }
        return null;
    }

    private Refusal refusal(String reason, long nowNanos) {
        if (refusalReported && nowNanos - lastRefusalReportNanos < REFUSAL_REPORT_INTERVAL_NANOS) {
            refusalsNotReported++;
            return new Refusal(reason, false, 0);
        }
        Refusal refusal = new Refusal(reason, true, refusalsNotReported);
        refusalReported = true;
        lastRefusalReportNanos = nowNanos;
        refusalsNotReported = 0;
        return refusal;
    }

    /** An admitted connection from {@code address} closed. */
    synchronized void release(InetAddress address) {
        open--;
        if (address != null) {
            openByAddress.computeIfPresent(address, (key, count) -> count == 1 ? null : count - 1);
        }
    }

    /** A login from {@code address} failed authentication; returns how many have failed from there lately. */
    int authenticationFailed(InetAddress address) {
        if (address == null) {
            return 1;
        }
        return failures.asMap().merge(address, 1, Integer::sum); // a write: the memory window restarts
    }

    /**
     * How long to hold back a CHAP challenge to {@code address}: nothing if no authentication failed from there
     * lately, else the first delay, doubled for every further failure, up to the maximum.
     */
    Duration challengeDelay(InetAddress address) {
        Integer count = address == null ? null : failures.getIfPresent(address);
        if (count == null) {
            return Duration.ZERO;
        }
        Duration delay = failureDelay.multipliedBy(1L << Math.min(count - 1, 20));
        return delay.compareTo(maxFailureDelay) > 0 ? maxFailureDelay : delay;
    }
}
