package dev.jtarget.server;

import dev.jtarget.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real server, started in-process from a configuration file on a free loopback port: one target
 * ({@link #TARGET_NAME}) with a RAM-disk LUN 0, and optionally a second target that requires CHAP
 * ({@link #CHAP_TARGET_NAME}).
 */
public final class LoopbackServer implements AutoCloseable {
    public static final String TARGET_NAME = "iqn.2026-01.dev.jtarget.test:disk";
    public static final String CHAP_TARGET_NAME = "iqn.2026-01.dev.jtarget.test:locked";
    public static final String CHAP_USER = "farm";
    public static final String CHAP_SECRET = "twelve-or-more-chars";

    private final TargetServer server;
    private final InetSocketAddress address;

    private LoopbackServer(TargetServer server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /** Starts the server with {@code limits}; {@code dir} receives the configuration file. */
    public static LoopbackServer start(Path dir, String lunSize, ServerLimits limits) throws Exception {
        int port = freePort();
        String xml = """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:%d"/>
                  <target name="%s">
                    <lun id="0"><memory size="%s"/></lun>
                  </target>
                  <target name="%s">
                    <chap user="%s" secret="%s"/>
                    <lun id="0"><memory size="1MiB"/></lun>
                  </target>
                </jtarget>
                """.formatted(port, TARGET_NAME, lunSize, CHAP_TARGET_NAME, CHAP_USER, CHAP_SECRET);
        Path file = Files.writeString(dir.resolve("jtarget.xml"), xml);
        TargetServer server = TargetServer.start(ConfigLoader.load(file, dir), limits);
        return new LoopbackServer(server, server.boundAddresses().getFirst());
    }

    /** A port nobody listens on right now (the config needs a real one: port 0 is not a valid portal). */
    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    /** An iscsi:// URL for LUN 0 of {@link #TARGET_NAME}, as libiscsi and QEMU take it. */
    public String lunUrl() {
        return "iscsi://127.0.0.1:" + address.getPort() + "/" + TARGET_NAME + "/0";
    }

    @Override
    public void close() {
        server.close();
    }
}
