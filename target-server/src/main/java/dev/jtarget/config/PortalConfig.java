package dev.jtarget.config;

import com.google.common.net.InetAddresses;
import java.util.regex.Pattern;

/**
 * A network address to listen on: an iSCSI portal, or the NBD peer server's address. {@code host} is a literal address
 * ({@code 127.0.0.1}, {@code ::1}, {@code 0.0.0.0}, {@code ::}) or a host name.
 */
public record PortalConfig(String host, int port) {

    /** The same form as the schema's ListenAddress type, for addresses that do not come through the schema. */
    private static final Pattern LISTEN_FORM = Pattern.compile(
            "(\\[[0-9A-Fa-f:.]+(%[0-9A-Za-z_.\\-]+)?]|[0-9A-Za-z]([0-9A-Za-z.\\-]*[0-9A-Za-z])?):[0-9]{1,5}");

    /**
     * Parses {@code HOST:PORT}, {@code [IPV6]:PORT} or {@code NAME:PORT}.
     *
     * @param protocol      names the well-known port in messages, e.g. {@code iSCSI}
     * @param wellKnownPort that port, e.g. 3260
     * @throws IllegalArgumentException with a message for people when the text is not a usable address
     */
    public static PortalConfig parse(String listen, String protocol, int wellKnownPort) {
        if (!LISTEN_FORM.matcher(listen).matches()) {
            throw new IllegalArgumentException("cannot parse listen address '" + listen + "': "
                    + listenForm(wellKnownPort));
        }
        int colon = listen.lastIndexOf(':');
        String hostPart = listen.substring(0, colon);
        int port = Integer.parseInt(listen.substring(colon + 1));
        boolean bracketed = hostPart.startsWith("[");
        String host = bracketed ? hostPart.substring(1, hostPart.length() - 1) : hostPart;
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " in '" + listen + "' is out of range: use 1 to 65535 ("
                    + protocol + "'s port is " + wellKnownPort + ")");
        }
        boolean literal = InetAddresses.isInetAddress(host);
        if (bracketed && !(literal && host.contains(":"))) {
            throw new IllegalArgumentException("'" + host + "' in '" + listen + "' is not a valid IPv6 address");
        }
        if (!bracketed && !literal && host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
            throw new IllegalArgumentException("'" + host + "' in '" + listen + "' is not a valid IPv4 address");
        }
        return new PortalConfig(host, port);
    }

    /** How a listen address is written, with examples on {@code port}. */
    static String listenForm(int port) {
        return "use HOST:PORT, for example 127.0.0.1:" + port + ", 0.0.0.0:" + port + " or [::1]:" + port;
    }

    /** The form the config uses: {@code 127.0.0.1:3260} or {@code [::1]:3260}. */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
