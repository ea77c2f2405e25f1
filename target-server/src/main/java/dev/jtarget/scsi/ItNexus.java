package dev.jtarget.scsi;

/**
 * An I_T nexus: one initiator port talking to one target port (SAM-5). Unit attentions, reservations and
 * registrations are kept per nexus. For iSCSI the initiator port is the initiator name plus the ISID, the target port
 * is the target name plus the portal group tag (RFC 7143 §4.4.1).
 */
public record ItNexus(String initiatorName, long isid, String targetName, int targetPortalGroupTag) {

    /** The SCSI initiator port name, {@code iqn...,i,0x<isid>} (RFC 7143 §13.9 SCSI port names). */
    public String initiatorPortName() {
        return initiatorName + ",i,0x" + String.format("%012x", isid);
    }

    /** The SCSI target port name, {@code iqn...,t,0x<tpgt>}. */
    public String targetPortName() {
        return targetName + ",t,0x" + String.format("%04x", targetPortalGroupTag);
    }
}
