package dev.jtarget.backend.nbd;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Where an NBD export lives, in the URI syntax qemu and libnbd use (the NBD project's {@code doc/uri.md}):
 * {@code nbd://host[:port]/export} over TCP (port 10809 by default) or {@code nbd+unix:///export?socket=/path} over a
 * unix socket. An empty export name selects the server's default export. TLS ({@code nbds://}) is not supported.
 *
 * @param transport  TCP or a unix socket
 * @param host       the TCP host name or address (IPv6 without brackets); null for unix sockets
 * @param port       the TCP port; 0 for unix sockets
 * @param socket     the unix socket path; null for TCP
 * @param exportName the export to ask for, percent-decoded
 */
public record NbdUri(Transport transport, String host, int port, Path socket, String exportName) {

    public enum Transport { TCP, UNIX }

    public NbdUri {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(exportName, "exportName");
        if (exportName.getBytes(StandardCharsets.UTF_8).length > NbdProtocol.MAX_STRING_BYTES) {
            throw new IllegalArgumentException("NBD export name longer than " + NbdProtocol.MAX_STRING_BYTES
                    + " bytes");
        }
        if (exportName.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("NBD export name contains a NUL character");
        }
        if (transport == Transport.TCP) {
            if (host == null || host.isEmpty() || socket != null || port < 1 || port > 65535) {
                throw new IllegalArgumentException("an NBD TCP address needs a host, a port in 1..65535 and no socket");
            }
        } else if (host != null || port != 0 || socket == null || !socket.isAbsolute()) {
            throw new IllegalArgumentException("an NBD unix-socket address needs an absolute socket path and no host");
        }
    }

    public static NbdUri tcp(String host, int port, String exportName) {
        return new NbdUri(Transport.TCP, host, port, null, exportName);
    }

    public static NbdUri unix(Path socket, String exportName) {
        return new NbdUri(Transport.UNIX, null, 0, socket, exportName);
    }

    /**
     * Parses {@code nbd://host[:port]/export} or {@code nbd+unix:///export?socket=/path}.
     *
     * @throws IllegalArgumentException with a message naming what is wrong
     */
    public static NbdUri parse(String text) {
        URI uri;
        try {
            uri = new URI(Objects.requireNonNull(text, "uri").strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed NBD URI '" + text + "': " + e.getReason(), e);
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new IllegalArgumentException("NBD URI '" + text + "' has no scheme: expected nbd:// or nbd+unix://");
        }
        String exportName = exportName(uri, text);
        return switch (scheme.toLowerCase(Locale.ROOT)) {
            case "nbd", "nbd+tcp" -> parseTcp(uri, text, exportName);
            case "nbd+unix" -> parseUnix(uri, text, exportName);
            case "nbds", "nbds+tcp", "nbds+unix" -> throw new IllegalArgumentException(
                    "NBD URI '" + text + "' asks for TLS, which is not supported: use nbd:// or nbd+unix://");
            default -> throw new IllegalArgumentException(
                    "NBD URI '" + text + "' has scheme '" + scheme + "': expected nbd:// or nbd+unix://");
        };
    }

    private static NbdUri parseTcp(URI uri, String text, String exportName) {
        if (uri.getRawQuery() != null) {
            throw new IllegalArgumentException("NBD URI '" + text + "' has a query; nbd:// takes none");
        }
        // getHost() is null when the authority is not a valid server address (for instance a bad port).
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("NBD URI '" + text + "' has no valid host[:port]");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() == -1 ? NbdProtocol.DEFAULT_PORT : uri.getPort();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("NBD URI '" + text + "' has port " + port + " outside 1..65535");
        }
        return tcp(host, port, exportName);
    }

    private static NbdUri parseUnix(URI uri, String text, String exportName) {
        if (uri.getRawAuthority() != null) {
            throw new IllegalArgumentException("NBD URI '" + text + "' names a host; nbd+unix:/// takes none");
        }
        String socket = null;
        String query = uri.getRawQuery();
        if (query != null) {
            for (String parameter : query.split("&")) {
                int equals = parameter.indexOf('=');
                String name = equals < 0 ? parameter : parameter.substring(0, equals);
                if (!name.equals("socket") || equals < 0) {
                    throw new IllegalArgumentException("NBD URI '" + text + "' has unknown parameter '" + parameter
                            + "': nbd+unix:// takes only socket=/path");
                }
                socket = URLDecoder.decode(parameter.substring(equals + 1), StandardCharsets.UTF_8);
            }
        }
        if (socket == null || socket.isEmpty()) {
            throw new IllegalArgumentException("NBD URI '" + text + "' needs ?socket=/path/to/socket");
        }
        Path path = Path.of(socket);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("NBD URI '" + text + "' socket path '" + socket + "' is not absolute");
        }
        return unix(path, exportName);
    }

    private static String exportName(URI uri, String text) {
        String path = uri.getPath();
        if (path == null) {
            throw new IllegalArgumentException("NBD URI '" + text
                    + "' is not hierarchical: expected nbd://host/export");
        }
        // The export is the path without its leading slash; URI has already percent-decoded it.
        return path.startsWith("/") ? path.substring(1) : path;
    }

    @Override
    public String toString() {
        String path = encodedPath(exportName);
        if (transport == Transport.TCP) {
            String shownHost = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return "nbd://" + shownHost + ":" + port + path;
        }
        return "nbd+unix://" + path + "?socket=" + socket;
    }

    /** Percent-encodes the export name as a URI path, so that toString() parses back to an equal record. */
    private static String encodedPath(String exportName) {
        try {
            return new URI(null, null, "/" + exportName, null).getRawPath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot encode export name " + exportName, e);
        }
    }
}
