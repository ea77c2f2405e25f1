package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;

/**
 * The outcome of a SCSI command, to be carried back by the transport.
 *
 * @param status        SAM status (GOOD 0x00, CHECK CONDITION 0x02, BUSY 0x08, RESERVATION CONFLICT 0x18,
 *                      TASK SET FULL 0x28, ...)
 * @param sense         sense data for CHECK CONDITION (fixed or descriptor format), else {@code null}
 * @param dataIn        data for the initiator, never longer than the command's expected data transfer length;
 *                      ownership passes to the transport, which releases it. {@code null} when there is none.
 * @param residual      how the amount the command wanted to move compares with the expected data transfer length
 * @param residualCount the difference in bytes (0 when {@code residual} is {@link Residual#NONE})
 */
public record ScsiResponse(int status, byte[] sense, ByteBuf dataIn, Residual residual, int residualCount) {

    public static final int GOOD = 0x00;
    public static final int CHECK_CONDITION = 0x02;
    public static final int CONDITION_MET = 0x04;
    public static final int BUSY = 0x08;
    public static final int RESERVATION_CONFLICT = 0x18;
    public static final int TASK_SET_FULL = 0x28;
    public static final int TASK_ABORTED = 0x40;

    /** iSCSI's U (underflow) and O (overflow) bits, RFC 7143 §11.4.5. */
    public enum Residual { NONE, UNDERFLOW, OVERFLOW }

    public static ScsiResponse good() {
        return new ScsiResponse(GOOD, null, null, Residual.NONE, 0);
    }

    public static ScsiResponse checkCondition(byte[] sense) {
        return new ScsiResponse(CHECK_CONDITION, sense, null, Residual.NONE, 0);
    }
}
