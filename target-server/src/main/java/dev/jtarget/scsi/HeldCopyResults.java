package dev.jtarget.scsi;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What finished EXTENDED COPY commands leave for RECEIVE COPY RESULTS with COPY STATUS (SPC-4 §6.18.3), per I_T
 * nexus and LIST IDENTIFIER, when their LIST ID USAGE asked for it. Reading a status discards it, as does the
 * nexus's logout, so at most 256 entries per logged-in nexus exist.
 */
final class HeldCopyResults {

    /**
     * @param failed            the copy ended with an error
     * @param segmentsProcessed how many segments were completed
     * @param bytesTransferred  how many bytes were written to destinations
     */
    record CopyStatus(boolean failed, int segmentsProcessed, long bytesTransferred) {
    }

    private final Map<ItNexus, Map<Integer, CopyStatus>> held = new ConcurrentHashMap<>();

    void hold(ItNexus nexus, int listIdentifier, CopyStatus status) {
        held.computeIfAbsent(nexus, n -> new ConcurrentHashMap<>()).put(listIdentifier, status);
    }

    /** Removes and returns the status of that copy, or null when none is held. */
    CopyStatus take(ItNexus nexus, int listIdentifier) {
        Map<Integer, CopyStatus> ofNexus = held.get(nexus);
        return ofNexus == null ? null : ofNexus.remove(listIdentifier);
    }

    void nexusLoggedOut(ItNexus nexus) {
        held.remove(nexus);
    }
}
