package dev.jtarget.config;

/**
 * A network portal to listen on. {@code host} is a literal address ({@code 127.0.0.1}, {@code ::1},
 * {@code 0.0.0.0}, {@code ::}) or a host name.
 */
public record PortalConfig(String host, int port) {
    /** The form the config uses: {@code 127.0.0.1:3260} or {@code [::1]:3260}. */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
