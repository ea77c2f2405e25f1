package dev.jtarget.iscsi.initiator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;

/** A real TCP connection to a target. */
public final class SocketTransport implements PduTransport {
    private final Socket socket;
    private final InputStream in;
    private final byte[] readBuffer = new byte[256 * 1024];
    private boolean closed;

    public SocketTransport(InetSocketAddress target) {
        try {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(target, 5000);
            in = socket.getInputStream();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + target, e);
        }
    }

    @Override
    public void send(byte[] bytes) {
        if (closed) {
            return;
        }
        try {
            socket.getOutputStream().write(bytes);
        } catch (IOException e) {
            closed = true; // the target closed the connection (reset or broken pipe)
        }
    }

    @Override
    public byte[] receive(Duration wait) {
        if (closed) {
            return new byte[0];
        }
        try {
            socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
            int n = in.read(readBuffer);
            if (n < 0) {
                closed = true;
                return new byte[0];
            }
            return Arrays.copyOf(readBuffer, n);
        } catch (SocketTimeoutException e) {
            return new byte[0];
        } catch (SocketException e) {
            closed = true; // connection reset
            return new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
