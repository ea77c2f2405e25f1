package dev.jtarget.scsi;

/**
 * One sense condition: sense key, additional sense code and qualifier, and the optional INFORMATION and
 * sense-key-specific fields (SPC-4 §4.5). It is encoded in fixed or descriptor format only when it is delivered,
 * because the format depends on the D_SENSE bit of the logical unit (or the DESC bit of REQUEST SENSE).
 *
 * @param senseKeySpecific the three SENSE KEY SPECIFIC bytes with the SKSV bit ({@code 0x800000}) set, or 0
 */
record Sense(int key, int asc, int ascq, boolean informationValid, long information, int senseKeySpecific) {

    static final int NO_SENSE = 0x0;
    static final int NOT_READY = 0x2;
    static final int MEDIUM_ERROR = 0x3;
    static final int HARDWARE_ERROR = 0x4;
    static final int ILLEGAL_REQUEST = 0x5;
    static final int UNIT_ATTENTION = 0x6;
    static final int DATA_PROTECT = 0x7;
    static final int COPY_ABORTED = 0xA;
    static final int ABORTED_COMMAND = 0xB;
    static final int MISCOMPARE = 0xE;

    static final Sense NO_ADDITIONAL_SENSE = of(NO_SENSE, 0x00, 0x00);
    static final Sense BECOMING_READY = of(NOT_READY, 0x04, 0x01);
    static final Sense UNRECOVERED_READ_ERROR = of(MEDIUM_ERROR, 0x11, 0x00);
    static final Sense WRITE_ERROR = of(MEDIUM_ERROR, 0x0C, 0x00);
    static final Sense INTERNAL_TARGET_FAILURE = of(HARDWARE_ERROR, 0x44, 0x00);
    static final Sense PARAMETER_LIST_LENGTH_ERROR = of(ILLEGAL_REQUEST, 0x1A, 0x00);
    static final Sense INVALID_COMMAND_OPERATION_CODE = of(ILLEGAL_REQUEST, 0x20, 0x00);
    static final Sense LBA_OUT_OF_RANGE = of(ILLEGAL_REQUEST, 0x21, 0x00);
    static final Sense INVALID_FIELD_IN_CDB = of(ILLEGAL_REQUEST, 0x24, 0x00);
    static final Sense LOGICAL_UNIT_NOT_SUPPORTED = of(ILLEGAL_REQUEST, 0x25, 0x00);
    static final Sense INVALID_FIELD_IN_PARAMETER_LIST = of(ILLEGAL_REQUEST, 0x26, 0x00);
    static final Sense INVALID_RELEASE_OF_PERSISTENT_RESERVATION = of(ILLEGAL_REQUEST, 0x26, 0x04);
    static final Sense TOO_MANY_TARGET_DESCRIPTORS = of(ILLEGAL_REQUEST, 0x26, 0x06);
    static final Sense UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE = of(ILLEGAL_REQUEST, 0x26, 0x07);
    static final Sense TOO_MANY_SEGMENT_DESCRIPTORS = of(ILLEGAL_REQUEST, 0x26, 0x08);
    static final Sense UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE = of(ILLEGAL_REQUEST, 0x26, 0x09);
    static final Sense SAVING_PARAMETERS_NOT_SUPPORTED = of(ILLEGAL_REQUEST, 0x39, 0x00);
    /** The iSCSI expected data transfer length is part of the information unit (SAM-5 §5.4). */
    static final Sense INVALID_FIELD_IN_INFORMATION_UNIT = of(ILLEGAL_REQUEST, 0x0E, 0x03);
    static final Sense POWER_ON_OR_RESET = of(UNIT_ATTENTION, 0x29, 0x00);
    static final Sense BUS_DEVICE_RESET_FUNCTION = of(UNIT_ATTENTION, 0x29, 0x03);
    static final Sense MODE_PARAMETERS_CHANGED = of(UNIT_ATTENTION, 0x2A, 0x01);
    static final Sense RESERVATIONS_PREEMPTED = of(UNIT_ATTENTION, 0x2A, 0x03);
    static final Sense RESERVATIONS_RELEASED = of(UNIT_ATTENTION, 0x2A, 0x04);
    static final Sense REGISTRATIONS_PREEMPTED = of(UNIT_ATTENTION, 0x2A, 0x05);
    /** SBC-3 §4.7.3.7: the space the logical unit's blocks are provisioned from is nearly used up. */
    static final Sense THIN_PROVISIONING_SOFT_THRESHOLD_REACHED = of(UNIT_ATTENTION, 0x38, 0x07);
    static final Sense WRITE_PROTECTED = of(DATA_PROTECT, 0x27, 0x00);
    /** SBC-3 §4.7.3.6: a write needs blocks provisioned and there is no space for them (permanent exhaustion). */
    static final Sense SPACE_ALLOCATION_FAILED = of(DATA_PROTECT, 0x27, 0x07);
    static final Sense DATA_PHASE_ERROR = of(ABORTED_COMMAND, 0x4B, 0x00);
    /** An EXTENDED COPY segment failed on its source or destination (SPC-4 §6.4.5); nothing more to say. */
    static final Sense COPY_SEGMENT_FAILED = of(COPY_ABORTED, 0x00, 0x00);
    static final Sense COPY_TARGET_DEVICE_NOT_REACHABLE = of(COPY_ABORTED, 0x0D, 0x02);
    static final Sense COPY_TARGET_WRITE_PROTECTED = of(COPY_ABORTED, 0x27, 0x00);
    static final Sense MISCOMPARE_DURING_VERIFY = of(MISCOMPARE, 0x1D, 0x00);

    private static final int SKSV = 0x800000;
    private static final int FIELD_IN_CDB = 0x400000;
    private static final int BIT_POINTER_VALID = 0x080000;
    private static final int FIXED_LENGTH = 18;

    static Sense of(int key, int asc, int ascq) {
        return new Sense(key, asc, ascq, false, 0, 0);
    }

    Sense withInformation(long value) {
        return new Sense(key, asc, ascq, true, value, senseKeySpecific);
    }

    /** Points at the offending CDB field (SPC-4 §4.5.2.4.2); {@code bit} is -1 when the whole byte is meant. */
    Sense withCdbFieldPointer(int byteIndex, int bit) {
        return withFieldPointer(FIELD_IN_CDB, byteIndex, bit);
    }

    /** Points at the offending byte of the parameter list (C/D = 0). */
    Sense withParameterFieldPointer(int byteIndex, int bit) {
        return withFieldPointer(0, byteIndex, bit);
    }

    private Sense withFieldPointer(int commandOrData, int byteIndex, int bit) {
        int bitPointer = bit < 0 ? 0 : BIT_POINTER_VALID | bit << 16;
        return new Sense(key, asc, ascq, informationValid, information,
                SKSV | commandOrData | bitPointer | (byteIndex & 0xFFFF));
    }

    byte[] encode(boolean descriptorFormat) {
        return descriptorFormat ? descriptor() : fixed();
    }

    /** Fixed format (response code 70h): 18 bytes, a 4-byte INFORMATION field. */
    private byte[] fixed() {
        byte[] b = new byte[FIXED_LENGTH];
        // A value that does not fit the 4-byte field is reported with VALID=0 (SPC-4 §4.5.3).
        boolean fits = informationValid && (information >>> 32) == 0;
        b[0] = (byte) ((fits ? 0x80 : 0) | 0x70);
        b[2] = (byte) (key & 0x0F);
        if (fits) {
            putInt(b, 3, (int) information);
        }
        b[7] = FIXED_LENGTH - 8;
        b[12] = (byte) asc;
        b[13] = (byte) ascq;
        putSenseKeySpecific(b, 15);
        return b;
    }

    /** Descriptor format (response code 72h) with an information and a sense-key-specific descriptor as needed. */
    private byte[] descriptor() {
        int length = 8 + (informationValid ? 12 : 0) + (senseKeySpecific != 0 ? 8 : 0);
        byte[] b = new byte[length];
        b[0] = 0x72;
        b[1] = (byte) (key & 0x0F);
        b[2] = (byte) asc;
        b[3] = (byte) ascq;
        b[7] = (byte) (length - 8);
        int at = 8;
        if (informationValid) {
            b[at] = 0x00;
            b[at + 1] = 0x0A;
            b[at + 2] = (byte) 0x80; // VALID
            putInt(b, at + 4, (int) (information >>> 32));
            putInt(b, at + 8, (int) information);
            at += 12;
        }
        if (senseKeySpecific != 0) {
            b[at] = 0x02;
            b[at + 1] = 0x06;
            putSenseKeySpecific(b, at + 4);
        }
        return b;
    }

    private void putSenseKeySpecific(byte[] b, int at) {
        b[at] = (byte) (senseKeySpecific >>> 16);
        b[at + 1] = (byte) (senseKeySpecific >>> 8);
        b[at + 2] = (byte) senseKeySpecific;
    }

    private static void putInt(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 24);
        b[at + 1] = (byte) (value >>> 16);
        b[at + 2] = (byte) (value >>> 8);
        b[at + 3] = (byte) value;
    }

    /** True when both describe the same condition (key, ASC, ASCQ), whatever their extra fields. */
    boolean sameCondition(Sense other) {
        return key == other.key && asc == other.asc && ascq == other.ascq;
    }

    @Override
    public String toString() {
        return String.format("sense key %Xh ASC/ASCQ %02Xh/%02Xh", key, asc, ascq);
    }
}
