package dev.jtarget.iscsi.session;

/**
 * Decodes the 8-byte LUN field of a PDU into a LUN number (SAM-5 §4.7). Initiators use peripheral device addressing
 * for LUNs below 256 and flat space addressing above; anything else names a LUN we cannot have.
 */
final class LunField {
    /** Returned for an address method we do not serve; the SCSI layer answers LOGICAL UNIT NOT SUPPORTED. */
    static final int UNSUPPORTED = -1;

    private LunField() {
    }

    static int decode(long field) {
        int first = (int) (field >>> 56) & 0xff;
        int second = (int) (field >>> 48) & 0xff;
        boolean restIsZero = (field & 0x0000_ffff_ffff_ffffL) == 0;
        if (!restIsZero) {
            return UNSUPPORTED;
        }
        return switch (first >>> 6) {
            case 0 -> first == 0 ? second : UNSUPPORTED; // peripheral: bus identifier must be 0
            case 1 -> ((first & 0x3f) << 8) | second;      // flat space
            default -> UNSUPPORTED;
        };
    }
}
