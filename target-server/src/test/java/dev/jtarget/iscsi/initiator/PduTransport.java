package dev.jtarget.iscsi.initiator;

import java.time.Duration;

/** How a {@link TestInitiator} reaches a target: an in-memory channel or a real socket. */
public interface PduTransport extends AutoCloseable {

    /** Sends bytes to the target (nothing happens once the connection is closed). */
    void send(byte[] bytes);

    /**
     * Bytes the target sent since the last call, waiting up to {@code wait} for the first of them; empty when none
     * arrived in time or the connection is closed.
     */
    byte[] receive(Duration wait);

    /** True once the target closed the connection. */
    boolean isClosed();

    /** The initiator ends the connection. */
    @Override
    void close();
}
