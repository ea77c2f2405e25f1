package dev.jtarget.iscsi.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConnectionGuardTest {
    private static final InetAddress FIRST = address(1);
    private static final InetAddress SECOND = address(2);
    private final ConnectionGuard guard = new ConnectionGuard(3, 2, Duration.ofMillis(100), Duration.ofMillis(350));

    @Test
    void connectionsFromOneAddressAreCappedAndTheCapReopensAsTheyClose() {
        assertNull(guard.admit(FIRST, 0));
        assertNull(guard.admit(FIRST, 0));

        assertNotNull(guard.admit(FIRST, 0));
        assertNull(guard.admit(SECOND, 0), "other addresses are not affected");
        guard.release(FIRST);
        assertNull(guard.admit(FIRST, 0));
    }

    @Test
    void connectionsInTotalAreCapped() {
        assertNull(guard.admit(FIRST, 0));
        assertNull(guard.admit(SECOND, 0));
        assertNull(guard.admit(null, 0));

        ConnectionGuard.Refusal refusal = guard.admit(address(3), 0);
        assertNotNull(refusal);
        assertTrue(refusal.reason().contains("3 connections"), refusal.reason());
    }

    @Test
    void refusalsAreReportedAtMostOncePerSecondWithTheCountOfThoseNotReported() {
        guard.admit(FIRST, 0);
        guard.admit(FIRST, 0);
        long start = TimeUnit.SECONDS.toNanos(100);

        assertTrue(guard.admit(FIRST, start).report());
        assertFalse(guard.admit(FIRST, start + 1).report());
        assertFalse(guard.admit(FIRST, start + TimeUnit.MILLISECONDS.toNanos(999)).report());
        ConnectionGuard.Refusal next = guard.admit(FIRST, start + TimeUnit.SECONDS.toNanos(1));

        assertTrue(next.report());
        assertEquals(2, next.notReported());
    }

    @Test
    void challengesToAnAddressAreHeldBackLongerWithEveryFailedAuthenticationUpToTheMaximum() {
        assertEquals(Duration.ZERO, guard.challengeDelay(FIRST));
        assertEquals(1, guard.authenticationFailed(FIRST));
        assertEquals(Duration.ofMillis(100), guard.challengeDelay(FIRST));
        guard.authenticationFailed(FIRST);
        assertEquals(Duration.ofMillis(200), guard.challengeDelay(FIRST));
        assertEquals(3, guard.authenticationFailed(FIRST));
        assertEquals(Duration.ofMillis(350), guard.challengeDelay(FIRST));

        assertEquals(Duration.ZERO, guard.challengeDelay(SECOND), "counted per address");
        assertEquals(Duration.ZERO, guard.challengeDelay(null));
    }

    private static InetAddress address(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
