package dev.jtarget.scsi;

/**
 * A supported command: its CDB usage map, as REPORT SUPPORTED OPERATION CODES reports it (SPC-4 §6.35.3), and its
 * handler. The usage map also drives validation: a CDB bit that is not in the map is reserved or unsupported, and
 * setting it ends the command with INVALID FIELD IN CDB pointing at that bit (SPC-4 §4.2.2: reserved fields shall be
 * checked). The control byte's map is 0: NACA=1 must be rejected by a device without ACA support (SAM-5 §5.11).
 *
 * @param serviceAction the service action in byte 1 bits 4..0, or -1 when the opcode has none
 * @param usage         byte 0 is the opcode; for service-action commands byte 1 holds the service action code
 */
record CommandSpec(String name, Admission admission, SharingRule sharing, int serviceAction, byte[] usage,
                   CommandHandler handler) {

    /** How a command is admitted when the LUN is missing, has unit attentions or is reserved by someone else. */
    enum Admission {
        /** Reports unit attentions and reservation conflicts; needs an existing LUN. */
        NORMAL,
        /**
         * INQUIRY, REPORT LUNS, REQUEST SENSE: never report a unit attention (SAM-5 §5.14), are never blocked by a
         * reservation (SPC-2 §5.5.1), and answer for a LUN that does not exist (SPC-4 §4.6.4, §6.6.2).
         */
        ALWAYS,
        /** RELEASE: reports unit attentions but passes a reservation held by another nexus (it is a no-op then). */
        PASSES_RESERVATION
    }

    /**
     * How a command fares while another I_T nexus holds a persistent reservation (SPC-4 §5.9.1 Table 67, SBC-3
     * Table 13). The holder, and under the registrants only and all registrants types every registered nexus, may
     * do everything.
     */
    enum Sharing implements SharingRule {
        /** Never conflicts: it only reports, or (PERSISTENT RESERVE OUT, RESERVE, RELEASE) applies its own rules. */
        ALLOWED,
        /** Reads the medium or reports about it: conflicts only under the exclusive access types. */
        READ,
        /** Changes the medium or the logical unit: conflicts under every type. */
        WRITE;

        @Override
        public Sharing of(byte[] cdb) {
            return this;
        }
    }

    /** The {@link Sharing} of one CDB: a few commands conflict or not depending on their fields. */
    @FunctionalInterface
    interface SharingRule {
        Sharing of(byte[] cdb);
    }

    int opcode() {
        return usage[0] & 0xFF;
    }

    int cdbLength() {
        return usage.length;
    }

    /** Throws INVALID FIELD IN CDB when a bit outside the usage map is set. */
    void validate(byte[] cdb) {
        if (cdb.length < usage.length) {
            throw new CheckCondition(Sense.INVALID_FIELD_IN_CDB);
        }
        for (int i = 1; i < usage.length; i++) {
            int allowed = usage[i] & 0xFF;
            if (i == 1 && serviceAction >= 0) {
                allowed |= 0x1F;
            }
            int stray = cdb[i] & 0xFF & ~allowed;
            if (stray != 0) {
                throw Cdb.invalidField(i, 31 - Integer.numberOfLeadingZeros(stray));
            }
        }
    }
}
