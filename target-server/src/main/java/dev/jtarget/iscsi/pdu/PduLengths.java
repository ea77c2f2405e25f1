package dev.jtarget.iscsi.pdu;

/** Wire-size arithmetic shared by the decoder and the encoder (RFC 7143 §11.2). */
final class PduLengths {
    static final int DIGEST = 4;
    /** Every AHS starts with AHSLength (2 bytes) and AHSType (1 byte), which AHSLength does not count (§11.2.2). */
    static final int AHS_LENGTH_AND_TYPE = 3;
    /** TotalAHSLength is one byte counting 4-byte words. */
    static final int MAX_TOTAL_AHS_LENGTH = 255 * 4;

    private PduLengths() {
    }

    /** Bytes that follow a segment of {@code length} bytes to end it on a 4-byte boundary (RFC 7143 §11.2). */
    static int padding(int length) {
        return -length & 3;
    }

    static int padded(int length) {
        return length + padding(length);
    }
}
