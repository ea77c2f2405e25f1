package dev.jtarget.it.backends;

import dev.jtarget.config.ConfigLoader;
import dev.jtarget.server.TargetServer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Our iSCSI target, in this JVM, serving one LUN whose backend element the test supplies, on a free loopback port:
 * loaded through {@link ConfigLoader} from a real configuration file, so the XML of each backend is exercised too.
 */
final class IscsiTarget implements AutoCloseable {
    static final String NAME = "iqn.2026-11.dev.jtarget:backends-it";

    private final TargetServer server;
    private final int port;

    private IscsiTarget(TargetServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /**
     * @param lunBody the backend element (and optional delay) of LUN 0, e.g. {@code <nbd uri="nbd://..."/>}
     */
    static IscsiTarget start(Path directory, String lunBody) throws Exception {
        return start(directory, lunBody, 512);
    }

    /** As {@link #start(Path, String)}, with LUN 0 in blocks of {@code blockSize} bytes. */
    static IscsiTarget start(Path directory, String lunBody, int blockSize) throws Exception {
        int port = Processes.freePort();
        Path config = Files.writeString(directory.resolve("jtarget.xml"), """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:%d"/>
                  <target name="%s">
                    <lun id="0" write-cache="on" block-size="%d">
                      %s
                    </lun>
                  </target>
                </jtarget>
                """.formatted(port, NAME, blockSize, lunBody));
        return new IscsiTarget(TargetServer.start(ConfigLoader.load(config, directory)), port);
    }

    /** The LUN as QEMU's iSCSI driver addresses it. */
    String lunUrl() {
        return "iscsi://127.0.0.1:" + port + "/" + NAME + "/0";
    }

    /** Ends the sessions, flushes the backend and closes it. */
    @Override
    public void close() {
        server.close();
    }
}
