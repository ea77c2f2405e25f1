package dev.jtarget.iscsi.session;

/**
 * The few sense data blocks the transport itself has to produce (when it refuses a command before the SCSI layer
 * sees it). Fixed format (SPC-4 §4.5.3); everything else comes from the SCSI layer.
 */
final class SenseBytes {
    private static final int ILLEGAL_REQUEST = 0x05;
    private static final int HARDWARE_ERROR = 0x04;

    private SenseBytes() {
    }

    static byte[] invalidFieldInCdb() {
        return fixed(ILLEGAL_REQUEST, 0x24, 0x00);
    }

    static byte[] internalTargetFailure() {
        return fixed(HARDWARE_ERROR, 0x44, 0x00);
    }

    private static byte[] fixed(int key, int asc, int ascq) {
        byte[] sense = new byte[18];
        sense[0] = 0x70;          // current error, fixed format
        sense[2] = (byte) key;
        sense[7] = 10;            // additional sense length
        sense[12] = (byte) asc;
        sense[13] = (byte) ascq;
        return sense;
    }
}
