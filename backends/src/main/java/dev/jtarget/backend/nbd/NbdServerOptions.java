package dev.jtarget.backend.nbd;

/**
 * Limits of our NBD peer server, per client connection.
 *
 * @param maxPayload            the largest READ or WRITE accepted (advertised as the maximum block size); larger
 *                              requests fail with EOVERFLOW, their payload skipped without being buffered
 * @param maxInFlightRequests   requests executing at once; beyond it the server stops reading from the socket
 * @param maxInFlightBytes      READ and WRITE payload bytes held at once; beyond it the server stops reading too
 * @param threads               event-loop threads (0: Netty's default, twice the processors)
 * @param preferNativeTransport use epoll when available (false forces NIO)
 */
public record NbdServerOptions(int maxPayload, int maxInFlightRequests, long maxInFlightBytes, int threads,
                               boolean preferNativeTransport) {

    public NbdServerOptions {
        if (maxPayload < 65536 || Integer.bitCount(maxPayload) != 1) {
            throw new IllegalArgumentException("maxPayload " + maxPayload
                    + " is not a power of two of at least 64 KiB");
        }
        if (maxInFlightRequests < 1) {
            throw new IllegalArgumentException("maxInFlightRequests " + maxInFlightRequests + " < 1");
        }
        if (maxInFlightBytes < maxPayload) {
            throw new IllegalArgumentException("maxInFlightBytes " + maxInFlightBytes + " cannot hold one "
                    + maxPayload + "-byte request");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads " + threads + " < 0");
        }
    }

    /** 32 MiB requests, 64 of them or 64 MiB of payload in flight per connection, default threads, epoll. */
    public static NbdServerOptions defaults() {
        return new NbdServerOptions(NbdProtocol.DEFAULT_MAX_PAYLOAD, 64, 64L << 20, 0, true);
    }

    public NbdServerOptions withMaxPayload(int value) {
        return new NbdServerOptions(value, maxInFlightRequests, Math.max(maxInFlightBytes, value), threads,
                preferNativeTransport);
    }

    public NbdServerOptions withMaxInFlight(int requests, long bytes) {
        return new NbdServerOptions(maxPayload, requests, bytes, threads, preferNativeTransport);
    }

    public NbdServerOptions withPreferNativeTransport(boolean value) {
        return new NbdServerOptions(maxPayload, maxInFlightRequests, maxInFlightBytes, threads, value);
    }
}
