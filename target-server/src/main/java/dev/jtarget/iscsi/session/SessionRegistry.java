package dev.jtarget.iscsi.session;

import dev.jtarget.iscsi.login.LoginRejectedException;
import dev.jtarget.iscsi.login.SessionParameters;
import dev.jtarget.scsi.ScsiTargetDevice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every live session of the server, by TSIH and by the identity an initiator logs in with (initiator name, ISID,
 * target), so that a second login with the same identity reinstates the old session (RFC 7143 §6.3.5) and the
 * server can enumerate and close sessions on shutdown. Thread-safe: logins arrive on every event loop.
 */
public final class SessionRegistry {
    private static final Logger log = LoggerFactory.getLogger(SessionRegistry.class);
    /** Login status "Target error / out of resources" (RFC 7143 §11.13.5). */
    private static final int STATUS_CLASS_TARGET_ERROR = 3;
    private static final int DETAIL_OUT_OF_RESOURCES = 2;
    private static final int STATUS_CLASS_INITIATOR_ERROR = 2;
    private static final int DETAIL_SESSION_DOES_NOT_EXIST = 0x0a;

    private final int maxSessions;
    private final Map<Integer, Entry> byTsih = new HashMap<>();
    private final Map<SessionIdentity, Integer> byIdentity = new HashMap<>();
    private int nextTsih = 1;

    /** What RFC 7143 §4.4.3 calls the session identifier, plus the target: one initiator port to one target. */
    record SessionIdentity(String initiatorName, long isid, String targetName) {
        static SessionIdentity of(String initiatorName, long isid, String targetName) {
            return new SessionIdentity(initiatorName.toLowerCase(Locale.ROOT), isid,
                    targetName == null ? "" : targetName.toLowerCase(Locale.ROOT));
        }
    }

    private record Entry(SessionIdentity identity, IscsiConnection connection) {
    }

    public SessionRegistry(int maxSessions) {
        this.maxSessions = maxSessions;
    }

    /**
     * Admits {@code connection} for {@code identity}. With {@code requestedTsih == 0} a new session is created; an
     * existing session with the same identity is closed first (session reinstatement). With a non-zero TSIH the
     * connection takes over that session. Returns the TSIH and whether the nexus is new.
     */
    synchronized Admission admit(SessionIdentity identity, int requestedTsih, IscsiConnection connection)
            throws LoginRejectedException {
        if (requestedTsih != 0) {
            Entry existing = byTsih.get(requestedTsih);
            if (existing == null || !existing.identity.equals(identity)) {
                throw new LoginRejectedException(STATUS_CLASS_INITIATOR_ERROR, DETAIL_SESSION_DOES_NOT_EXIST,
                        "no session with TSIH " + requestedTsih + " for this initiator");
            }
            byTsih.put(requestedTsih, new Entry(identity, connection));
            log.info("{}: connection replaces the one of session TSIH {} ({})", connection.remoteAddress(),
                    requestedTsih, existing.connection.remoteAddress());
            existing.connection.closeReplaced();
            return new Admission(requestedTsih, false, existing.connection.sessionParameters());
        }
        Integer oldTsih = byIdentity.get(identity);
        if (oldTsih != null) {
            Entry old = byTsih.remove(oldTsih);
            byIdentity.remove(identity);
            log.info("{}: session reinstatement of TSIH {} for {}", connection.remoteAddress(), oldTsih,
                    identity.initiatorName());
            old.connection.closeReplaced();
        }
        if (byTsih.size() >= maxSessions) {
            throw new LoginRejectedException(STATUS_CLASS_TARGET_ERROR, DETAIL_OUT_OF_RESOURCES,
                    "the server already has " + maxSessions + " sessions");
        }
        int tsih = allocateTsih();
        byTsih.put(tsih, new Entry(identity, connection));
        byIdentity.put(identity, tsih);
        return new Admission(tsih, true, null);
    }

    /**
     * The outcome of {@link #admit}: the TSIH, whether this is a new session rather than a takeover, and for a
     * takeover the session-wide parameters the replaced connection had negotiated.
     */
    record Admission(int tsih, boolean newSession, SessionParameters previous) {
    }

    /**
     * Forgets the session if {@code connection} still owns it. Returns false when another connection has taken the
     * session over, so the caller must not end the nexus.
     */
    synchronized boolean remove(int tsih, IscsiConnection connection) {
        Entry entry = byTsih.get(tsih);
        if (entry == null || entry.connection != connection) {
            return false;
        }
        byTsih.remove(tsih);
        byIdentity.remove(entry.identity, tsih);
        return true;
    }

    /**
     * The connections whose sessions are in full feature phase on {@code device}: every I_T nexus a LOGICAL UNIT
     * RESET, CLEAR TASK SET or target reset reaches. Sessions are matched by device rather than target name, as the
     * device is what holds the logical units' task sets.
     */
    synchronized List<IscsiConnection> connectionsOn(ScsiTargetDevice device) {
        List<IscsiConnection> found = new ArrayList<>();
        for (Entry entry : byTsih.values()) {
            IscsiSession session = entry.connection.session();
            if (session != null && session.device == device) {
                found.add(entry.connection);
            }
        }
        return found;
    }

    synchronized int size() {
        return byTsih.size();
    }

    private int allocateTsih() {
        // TSIH is 16 bits and 0 is reserved for "new session" (RFC 7143 §11.12.6)
        while (true) {
            int candidate = nextTsih;
            nextTsih = nextTsih == 0xffff ? 1 : nextTsih + 1;
            if (!byTsih.containsKey(candidate)) {
                return candidate;
            }
        }
    }
}
