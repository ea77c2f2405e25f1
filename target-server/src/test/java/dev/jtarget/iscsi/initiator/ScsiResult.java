package dev.jtarget.iscsi.initiator;

import java.util.List;

/**
 * How a SCSI command ended, as an initiator sees it.
 *
 * @param flags         the flags byte of the PDU that carried the status (U and O residual bits)
 * @param residualCount the Residual Count of that PDU
 * @param pdus          every PDU the target sent for the command, in order
 */
public record ScsiResult(int status, byte[] sense, byte[] dataIn, int flags, int residualCount,
                         List<ResponsePdu> pdus) {
    public static final int GOOD = 0x00;
    public static final int CHECK_CONDITION = 0x02;

    /** Fixed-format sense: sense key, ASC and ASCQ (SPC-4 §4.5.3), e.g. 0x062900. */
    public int senseCode() {
        if (sense.length < 14) {
            return -1;
        }
        return (sense[2] & 0x0f) << 16 | (sense[12] & 0xff) << 8 | (sense[13] & 0xff);
    }
}
