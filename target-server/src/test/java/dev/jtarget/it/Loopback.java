package dev.jtarget.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** The loopback address every target under test listens on. */
final class Loopback {
    static final String HOST = "127.0.0.1";

    private Loopback() {
    }

    /**
     * A port the kernel just handed out and released. Another process could take it before the target binds; then
     * the target fails to start and says so in its log, which the startup failure message shows.
     */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when something accepts TCP connections on the port. */
    static boolean accepts(int port) {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress(HOST, port), 200);
            return true;
        } catch (IOException notListening) {
            return false;
        }
    }
}
