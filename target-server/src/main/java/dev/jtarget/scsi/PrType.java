package dev.jtarget.scsi;

/** The persistent reservation types of SPC-4 §6.15.4 Table 187, with the properties the access rules use. */
enum PrType {
    WRITE_EXCLUSIVE(0x1, false, false, false, 0x0200),
    EXCLUSIVE_ACCESS(0x3, true, false, false, 0x0800),
    WRITE_EXCLUSIVE_REGISTRANTS_ONLY(0x5, false, true, false, 0x2000),
    EXCLUSIVE_ACCESS_REGISTRANTS_ONLY(0x6, true, true, false, 0x4000),
    WRITE_EXCLUSIVE_ALL_REGISTRANTS(0x7, false, true, true, 0x8000),
    EXCLUSIVE_ACCESS_ALL_REGISTRANTS(0x8, true, true, true, 0x0001);

    final int code;
    /** Reads conflict too, not only writes. */
    final boolean exclusiveAccess;
    /** Registered I_T nexuses get the holder's access (the registrants only and all registrants types). */
    final boolean registrantsShare;
    /** Every registered I_T nexus is a reservation holder, and the reservation key is reported as 0. */
    final boolean allRegistrants;
    /** The bit in the PERSISTENT RESERVATION TYPE MASK of REPORT CAPABILITIES (SPC-4 §6.14.4). */
    final int typeMaskBit;

    PrType(int code, boolean exclusiveAccess, boolean registrantsShare, boolean allRegistrants, int typeMaskBit) {
        this.code = code;
        this.exclusiveAccess = exclusiveAccess;
        this.registrantsShare = registrantsShare;
        this.allRegistrants = allRegistrants;
        this.typeMaskBit = typeMaskBit;
    }

    /** The type with this code, or null for a reserved code. */
    static PrType of(int code) {
        for (PrType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        return null;
    }

    /** Every type's mask bit: REPORT CAPABILITIES says all are supported. */
    static int typeMask() {
        int mask = 0;
        for (PrType type : values()) {
            mask |= type.typeMaskBit;
        }
        return mask;
    }
}
