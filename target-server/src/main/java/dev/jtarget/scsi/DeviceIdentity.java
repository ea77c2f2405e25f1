package dev.jtarget.scsi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * A logical unit's names: the NAA identifier of the Device Identification VPD page and the unit serial number.
 * Both are derived from the target name and LUN id alone, so they are unique per LUN and survive restarts, which
 * multipath and udev (by-id links) rely on.
 *
 * <p>NAA type 3, "locally assigned" (SPC-4 §7.8.6.6.3), is the honest choice: types 5 and 6 embed an IEEE company
 * id, which this project does not own, and borrowing another vendor's OUI could collide with real devices. Type 3
 * carries 60 freely chosen bits; we take them from SHA-256, so two LUNs collide only with negligible probability.
 *
 * @param naa    the 8-byte NAA designator as a long: 3h in the top nibble, then 60 locally assigned bits
 * @param serial the unit serial number: the locally assigned bits in hex
 */
record DeviceIdentity(long naa, String serial) {

    private static final long NAA_LOCALLY_ASSIGNED = 0x3L << 60;

    static DeviceIdentity derive(String targetName, int lunId) {
        return fromDigest(sha256(targetName + '\0' + lunId));
    }

    /**
     * The names of an initiator's own disk behind LUN {@code lunId} of a clone-per-initiator target. The initiator
     * name is lower-cased because iSCSI names compare case-insensitively (RFC 3722), so one initiator spelled two
     * ways still sees one disk.
     */
    static DeviceIdentity derive(String targetName, String initiatorName, int lunId) {
        return fromDigest(sha256(targetName + '\0' + initiatorName.toLowerCase(Locale.ROOT) + '\0' + lunId));
    }

    private static DeviceIdentity fromDigest(byte[] digest) {
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = bits << 8 | digest[i] & 0xFF;
        }
        long locallyAssigned = bits >>> 4;
        return new DeviceIdentity(NAA_LOCALLY_ASSIGNED | locallyAssigned, String.format("%015x", locallyAssigned));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
