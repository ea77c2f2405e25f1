package dev.jtarget.backend.nbd;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link NbdBackend} talks to its peer.
 *
 * @param maxConnections          connections to open when the server advertises CAN_MULTI_CONN (otherwise one)
 * @param blockSize               the block size to present, a power of two of at least 512; 0 picks the larger of
 *                                512 and the server's minimum block size
 * @param maxInFlightPerConnection requests outstanding on one connection; more wait in a queue
 * @param maxRequestBytes         the largest READ or WRITE payload we send (the server's maximum block size may lower
 *                                it); bigger requests are split
 * @param connectTimeout          TCP connect plus handshake
 * @param requestTimeout          how long a sent request may wait for its reply before the connection is presumed
 *                                dead, closed, and its requests retried on a new one
 * @param unavailableTimeout      how long a read or write waits for a connection while the peer is unreachable before
 *                                it fails with NOT_READY
 * @param reconnectDelayMin       first delay before reconnecting; doubles after each failed attempt
 * @param reconnectDelayMax       cap on that delay
 * @param preferNativeTransport   use epoll when available (false forces NIO)
 */
public record NbdClientOptions(
        int maxConnections,
        int blockSize,
        int maxInFlightPerConnection,
        int maxRequestBytes,
        Duration connectTimeout,
        Duration requestTimeout,
        Duration unavailableTimeout,
        Duration reconnectDelayMin,
        Duration reconnectDelayMax,
        boolean preferNativeTransport) {

    public NbdClientOptions {
        if (maxConnections < 1 || maxConnections > 64) {
            throw new IllegalArgumentException("maxConnections " + maxConnections + " outside 1..64");
        }
        if (blockSize != 0 && (blockSize < 512 || Integer.bitCount(blockSize) != 1 || blockSize > 65536)) {
            throw new IllegalArgumentException("block size " + blockSize + " is not 0 or a power of two in 512..65536");
        }
        if (maxInFlightPerConnection < 1) {
            throw new IllegalArgumentException("maxInFlightPerConnection " + maxInFlightPerConnection + " < 1");
        }
        if (maxRequestBytes < 65536) {
            throw new IllegalArgumentException("maxRequestBytes " + maxRequestBytes + " < 64 KiB");
        }
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(requestTimeout, "requestTimeout");
        requirePositive(unavailableTimeout, "unavailableTimeout");
        requirePositive(reconnectDelayMin, "reconnectDelayMin");
        requirePositive(reconnectDelayMax, "reconnectDelayMax");
        if (reconnectDelayMax.compareTo(reconnectDelayMin) < 0) {
            throw new IllegalArgumentException("reconnectDelayMax " + reconnectDelayMax + " < reconnectDelayMin "
                    + reconnectDelayMin);
        }
    }

    private static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " " + duration + " is not positive");
        }
    }

    /**
     * Up to four connections, automatic block size, 128 requests in flight per connection, 32 MiB requests, a 10 s
     * connect timeout, a 30 s request timeout, and 15 s of waiting while the peer is down: below the 30 s after which
     * Linux initiators abort a SCSI command, so they see a retryable NOT READY rather than a timeout.
     */
    public static NbdClientOptions defaults() {
        return new NbdClientOptions(4, 0, 128, NbdProtocol.DEFAULT_MAX_PAYLOAD, Duration.ofSeconds(10),
                Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofMillis(100), Duration.ofSeconds(5), true);
    }

    public NbdClientOptions withMaxConnections(int value) {
        return new NbdClientOptions(value, blockSize, maxInFlightPerConnection, maxRequestBytes, connectTimeout,
                requestTimeout, unavailableTimeout, reconnectDelayMin, reconnectDelayMax, preferNativeTransport);
    }

    public NbdClientOptions withBlockSize(int value) {
        return new NbdClientOptions(maxConnections, value, maxInFlightPerConnection, maxRequestBytes, connectTimeout,
                requestTimeout, unavailableTimeout, reconnectDelayMin, reconnectDelayMax, preferNativeTransport);
    }

    public NbdClientOptions withMaxInFlightPerConnection(int value) {
        return new NbdClientOptions(maxConnections, blockSize, value, maxRequestBytes, connectTimeout,
                requestTimeout, unavailableTimeout, reconnectDelayMin, reconnectDelayMax, preferNativeTransport);
    }

    public NbdClientOptions withMaxRequestBytes(int value) {
        return new NbdClientOptions(maxConnections, blockSize, maxInFlightPerConnection, value, connectTimeout,
                requestTimeout, unavailableTimeout, reconnectDelayMin, reconnectDelayMax, preferNativeTransport);
    }

    public NbdClientOptions withConnectTimeout(Duration value) {
        return new NbdClientOptions(maxConnections, blockSize, maxInFlightPerConnection, maxRequestBytes, value,
                requestTimeout, unavailableTimeout, reconnectDelayMin, reconnectDelayMax, preferNativeTransport);
    }

    public NbdClientOptions withRequestTimeout(Duration value) {
        return new NbdClientOptions(maxConnections, blockSize, maxInFlightPerConnection, maxRequestBytes,
                connectTimeout, value, unavailableTimeout, reconnectDelayMin, reconnectDelayMax,
                preferNativeTransport);
    }

    public NbdClientOptions withUnavailableTimeout(Duration value) {
        return new NbdClientOptions(maxConnections, blockSize, maxInFlightPerConnection, maxRequestBytes,
                connectTimeout, requestTimeout, value, reconnectDelayMin, reconnectDelayMax, preferNativeTransport);
    }

    public NbdClientOptions withReconnectDelays(Duration min, Duration max) {
        return new NbdClientOptions(maxConnections, blockSize, maxInFlightPerConnection, maxRequestBytes,
                connectTimeout, requestTimeout, unavailableTimeout, min, max, preferNativeTransport);
    }

    public NbdClientOptions withPreferNativeTransport(boolean value) {
        return new NbdClientOptions(maxConnections, blockSize, maxInFlightPerConnection, maxRequestBytes,
                connectTimeout, requestTimeout, unavailableTimeout, reconnectDelayMin, reconnectDelayMax, value);
    }
}
