package dev.jtarget.server;

import dev.jtarget.config.NopInConfig;
import java.time.Duration;

/**
 * Timers and caps that keep slow, idle and abusive clients from tying the server up. The defaults suit a server that
 * a build farm shares: many sessions from few addresses (NAT), initiators that reconnect after a restart.
 *
 * @param loginTimeout               a connection that has not reached full feature phase by then is closed
 * @param nopInterval                silence after which the target pings the initiator with a NOP-In
 * @param nopTimeout                 further silence after which the connection is considered dead
 * @param maxSessions                sessions (normal and discovery) the server holds at once
 * @param maxConnections             TCP connections open at once, in any phase
 * @param maxConnectionsPerAddress   TCP connections open at once from one IP address
 * @param authenticationFailureDelay how long the answer to a failed CHAP login is held back; it doubles with every
 *                                   further failure from the same address, up to {@code maxAuthenticationFailureDelay}
 */
public record ServerLimits(Duration loginTimeout, Duration nopInterval, Duration nopTimeout, int maxSessions,
                           int maxConnections, int maxConnectionsPerAddress, Duration authenticationFailureDelay,
                           Duration maxAuthenticationFailureDelay) {

    public static final ServerLimits DEFAULTS = new ServerLimits(Duration.ofSeconds(30),
            NopInConfig.DEFAULT.interval(), NopInConfig.DEFAULT.timeout(), 4096, 4096, 256, Duration.ofSeconds(1),
            Duration.ofSeconds(8));

    public ServerLimits {
        if (maxSessions < 1 || maxConnections < 1 || maxConnectionsPerAddress < 1) {
            throw new IllegalArgumentException("session and connection limits must be at least 1");
        }
        if (authenticationFailureDelay.isNegative()
                || maxAuthenticationFailureDelay.compareTo(authenticationFailureDelay) < 0) {
            throw new IllegalArgumentException("authentication failure delays must satisfy 0 <= first <= max");
        }
        // A challenge held back for longer would meet a login timeout instead, however right the secret.
        if (maxAuthenticationFailureDelay.compareTo(loginTimeout.dividedBy(2)) > 0) {
            throw new IllegalArgumentException("the longest authentication failure delay must be at most half the"
                    + " login timeout");
        }
    }

    /** These limits with the keep-alive a configuration file asks for. */
    public ServerLimits withNopIn(NopInConfig nopIn) {
        return new ServerLimits(loginTimeout, nopIn.interval(), nopIn.timeout(), maxSessions, maxConnections,
                maxConnectionsPerAddress, authenticationFailureDelay, maxAuthenticationFailureDelay);
    }
}
