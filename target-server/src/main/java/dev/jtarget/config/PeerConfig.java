package dev.jtarget.config;

import java.util.List;

/**
 * Our NBD peer server: {@code <peer listen="..">} with its exports in the XML, or {@code jtarget peer} on the
 * command line.
 *
 * @param listen  where to serve NBD (the well-known port is {@link #DEFAULT_PORT})
 * @param exports at least one; names are unique
 */
public record PeerConfig(PortalConfig listen, List<PeerExportConfig> exports) {

    public static final int DEFAULT_PORT = 10809;
    public static final PortalConfig DEFAULT_LISTEN = new PortalConfig("127.0.0.1", DEFAULT_PORT);

    public PeerConfig {
        exports = List.copyOf(exports);
        if (exports.isEmpty()) {
            throw new IllegalArgumentException("an NBD peer needs at least one export");
        }
    }
}
