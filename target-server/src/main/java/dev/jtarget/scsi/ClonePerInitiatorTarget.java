package dev.jtarget.scsi;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A target whose one logical unit depends on who is logged in: every initiator name gets a disk of its own (its
 * clone), opened when its first session logs in and closed when its last session ends, and shared by all sessions
 * of that initiator name, so multipath and a second session see one device, not two writers on one file.
 *
 * <p>Each initiator's clone is an ordinary {@link ScsiTarget} with one {@link LogicalUnit}; commands, unit attentions,
 * reservations and resets are routed to the one of the commanding nexus's initiator. A target reset from one
 * initiator therefore resets only its own disk: no other initiator can address it (SAM-5 §6.3.2 resets the logical
 * units of the target the initiator sees).
 *
 * <p>Opening runs on the thread that reports the login (creating or reopening an overlay takes milliseconds). Closing
 * drains the clone's dirty cache pages, which over a slow disk can take seconds, so it runs on a closer thread of its
 * own rather than on the network thread that reported the logout. Both are serialized per initiator: a login that
 * comes before the close has started keeps the clone open, one that races the close waits for it instead of opening
 * the file twice.
 */
public final class ClonePerInitiatorTarget implements ScsiTargetDevice {
    private static final Logger log = LoggerFactory.getLogger(ClonePerInitiatorTarget.class);

    /** Where clones come from: the server side, which knows the files, their format and the write-back cache. */
    public interface Clones {
        /** Creates {@code initiatorName}'s clone on its first use, or reopens it, as the logical unit to serve. */
        LogicalUnit open(String initiatorName) throws IOException;

        /** The clone of {@code initiatorName} was closed because its last session ended (not on shutdown). */
        void lastSessionEnded(String initiatorName) throws IOException;
    }

    /** An operation on an initiator's clone file while no session uses it ({@link #withoutSessions}). */
    @FunctionalInterface
    public interface CloneOperation<T> {
        T run() throws IOException;
    }

    /** The initiator has a session, or another operation works on its clone: the operation was not run. */
    public static final class CloneInUseException extends IOException {
        CloneInUseException(String message) {
            super(message);
        }
    }

    /** One initiator's clone and the sessions (I_T nexuses) using it; guarded by its own monitor. */
    private static final class Attachment {
        final String initiatorName;
        final Set<ItNexus> nexuses = new HashSet<>();
        /** Null until opened, or while opening failed (the next login retries). */
        volatile ScsiTarget device;
        /** Closed and about to leave the map: a login that finds it must look again. */
        boolean detached;
        /** An operation works on the clone's file: a login meanwhile gets no LUN rather than opening it. */
        boolean busy;

        Attachment(String initiatorName) {
            this.initiatorName = initiatorName;
        }
    }

    private final String targetName;
    private final int lunId;
    private final Clones clones;
    /** What an initiator whose clone could not be opened sees: a target without logical units. */
    private final ScsiTarget unavailable;
    /** By lower-cased initiator name: iSCSI names compare case-insensitively (RFC 3722). */
    private final ConcurrentHashMap<String, Attachment> attachments = new ConcurrentHashMap<>();

    /** Runs the closes of clones whose last session ended. */
    private final Executor closer;
    /** The closer thread this target started and must stop, or null when the closer is the caller's. */
    private final ExecutorService ownCloser;

    /** Closes clones on a closer thread of its own, stopped by {@link #close()}. */
    public ClonePerInitiatorTarget(String targetName, int lunId, Clones clones) {
        this(targetName, lunId, clones, Executors.newSingleThreadExecutor(
                Thread.ofPlatform().name("clone-closer-" + targetName).daemon().factory()), true);
    }

    /** Closes clones on {@code closer}, which stays the caller's ({@code Runnable::run} closes them at once). */
    public ClonePerInitiatorTarget(String targetName, int lunId, Clones clones, Executor closer) {
        this(targetName, lunId, clones, closer, false);
    }

    private ClonePerInitiatorTarget(String targetName, int lunId, Clones clones, Executor closer, boolean owned) {
        this.targetName = targetName;
        this.lunId = lunId;
        this.clones = clones;
        this.unavailable = new ScsiTarget(targetName, List.of());
        this.closer = closer;
        this.ownCloser = owned ? (ExecutorService) closer : null;
    }

    private static String key(ItNexus nexus) {
        return nexus.initiatorName().toLowerCase(Locale.ROOT);
    }

    /** The device of the nexus's initiator; a target without LUNs when its clone is not open. */
    private ScsiTarget deviceOf(ItNexus nexus) {
        Attachment attachment = attachments.get(key(nexus));
        ScsiTarget device = attachment == null ? null : attachment.device;
        return device == null ? unavailable : device;
    }

    @Override
    public CompletableFuture<ScsiResponse> execute(ScsiCommand command) {
        return deviceOf(command.nexus()).execute(command);
    }

    @Override
    public void nexusLoggedIn(ItNexus nexus) {
        while (true) {
            Attachment attachment = attachments.computeIfAbsent(key(nexus),
                    k -> new Attachment(nexus.initiatorName()));
            synchronized (attachment) {
                if (attachment.detached) {
                    continue; // its close finished while we waited; the next computeIfAbsent makes a fresh one
                }
                if (attachment.busy) {
                    log.warn("{}: {} logged in while an operation works on its clone; it sees no LUN until it"
                            + " logs in again", targetName, nexus.initiatorName());
                } else if (attachment.device == null) {
                    attachment.device = open(nexus.initiatorName());
                }
                attachment.nexuses.add(nexus);
                if (attachment.device != null) {
                    attachment.device.nexusLoggedIn(nexus);
                }
                return;
            }
        }
    }

    private ScsiTarget open(String initiatorName) {
        try {
            return new ScsiTarget(targetName, List.of(clones.open(initiatorName)));
        } catch (IOException | RuntimeException e) {
            log.error("{}: cannot open the clone of {}; it sees no LUN: {}", targetName, initiatorName, e.toString());
            return null;
        }
    }

    @Override
    public void nexusLoggedOut(ItNexus nexus) {
        Attachment attachment = attachments.get(key(nexus));
        if (attachment == null) {
            return;
        }
        synchronized (attachment) {
            if (!attachment.nexuses.remove(nexus)) {
                return;
            }
            ScsiTarget device = attachment.device;
            if (device != null) {
                device.nexusLoggedOut(nexus);
            }
            if (attachment.nexuses.isEmpty()) {
                closer.execute(() -> closeIfUnused(attachment));
            }
        }
    }

    /** On the closer: the clone's last session ended; unless a new one has come since, close and forget it. */
    private void closeIfUnused(Attachment attachment) {
        synchronized (attachment) {
            if (attachment.detached || attachment.busy || !attachment.nexuses.isEmpty()) {
                return;
            }
            closeUnused(attachment);
        }
    }

    /** Closes a clone whose last session ended and applies on-logout; under its monitor. */
    private void closeUnused(Attachment attachment) {
        boolean wasOpen = attachment.device != null;
        // lastSessionEnded runs before detach lets a new login make a fresh attachment: with on-logout="reset" it
        // deletes the file, which must never be one a new session has already opened.
        if (wasOpen) {
            try {
                closeDevice(attachment);
                clones.lastSessionEnded(attachment.initiatorName);
            } catch (IOException | RuntimeException e) {
                log.error("{}: after the last session of {} ended: {}", targetName, attachment.initiatorName,
                        e.toString());
            }
        }
        detach(attachment);
    }

    /** Whether {@code initiatorName} has a session with this target now. */
    public boolean hasSessions(String initiatorName) {
        Attachment attachment = attachments.get(initiatorName.toLowerCase(Locale.ROOT));
        if (attachment == null) {
            return false;
        }
        synchronized (attachment) {
            return !attachment.detached && !attachment.nexuses.isEmpty();
        }
    }

    /**
     * Runs {@code operation} on the clone of {@code initiatorName} (reset, promote, expire) under the same
     * per-initiator serialization as logins and closes, so it never races a login that would open the file. Refused
     * while the initiator has a session. A clone whose last session ended but whose close is still queued is closed
     * first (its dirty cache written back, on-logout applied), so the operation sees the file complete. A login
     * while the operation runs outside the monitor finds the clone busy and gets no LUN; the operation therefore
     * never holds the monitor, and with it a network thread, for the minutes a promotion can take.
     *
     * @throws CloneInUseException when a session or another operation uses the clone
     */
    public <T> T withoutSessions(String initiatorName, CloneOperation<T> operation) throws IOException {
        String key = initiatorName.toLowerCase(Locale.ROOT);
        Attachment attachment;
        while (true) {
            attachment = attachments.computeIfAbsent(key, k -> new Attachment(initiatorName));
            synchronized (attachment) {
                if (attachment.detached) {
                    continue;
                }
                if (!attachment.nexuses.isEmpty()) {
                    throw new CloneInUseException(initiatorName + " is logged in to " + targetName + " ("
                            + attachment.nexuses.size() + " session(s)); its clone is in use");
                }
                if (attachment.busy) {
                    throw new CloneInUseException("another operation works on the clone of " + initiatorName);
                }
                if (attachment.device != null) {
                    closeUnused(attachment); // its close was queued on the closer; do it now
                    continue;
                }
                attachment.busy = true;
                break;
            }
        }
        try {
            return operation.run();
        } finally {
            synchronized (attachment) {
                attachment.busy = false;
                if (attachment.nexuses.isEmpty()) {
                    attachment.detached = true;
                    attachments.remove(key, attachment);
                }
            }
        }
    }

    /** Closes the clone (the cache below writes back its dirty data first) and forgets it; under its monitor. */
    private void detach(Attachment attachment) {
        try {
            closeDevice(attachment);
        } finally {
            attachments.remove(attachment.initiatorName.toLowerCase(Locale.ROOT), attachment);
        }
    }

    /** Marks the attachment detached and closes its clone, if open; it stays in the map. Under its monitor. */
    private void closeDevice(Attachment attachment) {
        attachment.detached = true;
        ScsiTarget device = attachment.device;
        attachment.device = null;
        if (device != null) {
            device.close();
            log.info("{}: closed the clone of {}", targetName, attachment.initiatorName);
        }
    }

    @Override
    public void logicalUnitReset(ItNexus by, int lun) {
        deviceOf(by).logicalUnitReset(by, lun);
    }

    @Override
    public void targetReset(ItNexus by) {
        deviceOf(by).targetReset(by);
    }

    @Override
    public boolean hasLun(int lun) {
        return lun == lunId;
    }

    @Override
    public CompletableFuture<Void> flushAll() {
        List<CompletableFuture<Void>> flushes = new ArrayList<>();
        for (Attachment attachment : attachments.values()) {
            ScsiTarget device = attachment.device;
            if (device != null) {
                flushes.add(device.flushAll());
            }
        }
        return CompletableFuture.allOf(flushes.toArray(CompletableFuture[]::new));
    }

    /**
     * Finishes the closes already due (their last sessions ended: on-logout applies), then closes every clone still
     * in use and keeps its file, whatever on-logout says: the server stops, those sessions did not.
     */
    @Override
    public void close() {
        if (ownCloser != null) {
            ownCloser.shutdown();
            try {
                while (!ownCloser.awaitTermination(10, TimeUnit.SECONDS)) {
                    log.info("{}: still closing clones whose last session ended", targetName);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Attachment attachment : attachments.values()) {
            synchronized (attachment) {
                if (!attachment.detached) {
                    detach(attachment);
                }
            }
        }
    }

    @Override
    public String toString() {
        return targetName + " [clone per initiator as LUN " + lunId + ", " + attachments.size() + " open]";
    }
}
