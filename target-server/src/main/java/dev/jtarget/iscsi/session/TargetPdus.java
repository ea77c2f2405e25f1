package dev.jtarget.iscsi.session;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.iscsi.pdu.Pdu;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Builds the PDUs a target sends (RFC 7143 §11). StatSN, ExpCmdSN and MaxCmdSN are stamped by the connection when it
 * sends them, so these builders fill only the fields that belong to the PDU's own meaning.
 */
final class TargetPdus {
    /** Data-In and SCSI Response flag bits (RFC 7143 §11.4.1, §11.7.1). */
    static final int FLAG_FINAL = 0x80;
    static final int FLAG_OVERFLOW = 0x04;
    static final int FLAG_UNDERFLOW = 0x02;
    static final int FLAG_STATUS = 0x01;

    /** Reject reasons, RFC 7143 §11.17.1. */
    static final int REJECT_DATA_DIGEST_ERROR = 0x02;
    static final int REJECT_PROTOCOL_ERROR = 0x04;
    static final int REJECT_COMMAND_NOT_SUPPORTED = 0x05;
    static final int REJECT_IMMEDIATE_COMMAND = 0x06;
    static final int REJECT_TASK_IN_PROGRESS = 0x07;
    static final int REJECT_INVALID_PDU_FIELD = 0x09;
    static final int REJECT_WAITING_FOR_LOGOUT = 0x0c;

    private TargetPdus() {
    }

    static Pdu scsiResponse(int itt, int status, byte[] sense, int residualFlags, int residualCount, int expDataSn) {
        Bhs bhs = Bhs.forOpcode(Opcode.SCSI_RESPONSE);
        bhs.setFlags(FLAG_FINAL | residualFlags);
        bhs.setByte2(0x00); // Response: command completed at target
        bhs.setByte3(status);
        bhs.setInitiatorTaskTag(itt);
        bhs.setDataSn(expDataSn);
        bhs.setResidualCount(residualCount);
        ByteBuf data = Unpooled.EMPTY_BUFFER;
        if (sense != null && sense.length > 0) {
            // §11.4.7.2: the data segment carries a 2-byte SenseLength followed by the sense data
            data = Unpooled.buffer(2 + sense.length);
            data.writeShort(sense.length);
            data.writeBytes(sense);
        }
        return new Pdu(bhs, data);
    }

    static Pdu dataIn(long lunField, int itt, int dataSn, int bufferOffset, ByteBuf data, boolean finalInSequence) {
        Bhs bhs = Bhs.forOpcode(Opcode.SCSI_DATA_IN);
        bhs.setFlags(finalInSequence ? FLAG_FINAL : 0);
        bhs.setLun(lunField);
        bhs.setInitiatorTaskTag(itt);
        bhs.setTargetTransferTag(Bhs.RESERVED_TAG);
        bhs.setDataSn(dataSn);
        bhs.setBufferOffset(bufferOffset);
        return new Pdu(bhs, data);
    }

    /** Marks the last Data-In as carrying the command's status (phase collapse, §11.7.4). */
    static void addStatus(Pdu dataIn, int status, int residualFlags, int residualCount) {
        Bhs bhs = dataIn.bhs();
        bhs.setFlags(bhs.flags() | FLAG_FINAL | FLAG_STATUS | residualFlags);
        bhs.setByte3(status);
        bhs.setResidualCount(residualCount);
    }

    static Pdu r2t(long lunField, int itt, int ttt, int r2tSn, int bufferOffset, int desiredLength) {
        Bhs bhs = Bhs.forOpcode(Opcode.R2T);
        bhs.setLun(lunField);
        bhs.setInitiatorTaskTag(itt);
        bhs.setTargetTransferTag(ttt);
        bhs.setDataSn(r2tSn);
        bhs.setBufferOffset(bufferOffset);
        bhs.setResidualCount(desiredLength); // bytes 44-47: Desired Data Transfer Length
        return new Pdu(bhs);
    }

    static Pdu nopIn(long lunField, int itt, int ttt, ByteBuf pingData) {
        Bhs bhs = Bhs.forOpcode(Opcode.NOP_IN);
        bhs.setLun(lunField);
        bhs.setInitiatorTaskTag(itt);
        bhs.setTargetTransferTag(ttt);
        return new Pdu(bhs, pingData);
    }

    static Pdu taskManagementResponse(int itt, int response) {
        Bhs bhs = Bhs.forOpcode(Opcode.TASK_MANAGEMENT_RESPONSE);
        bhs.setByte2(response);
        bhs.setInitiatorTaskTag(itt);
        return new Pdu(bhs);
    }

    static Pdu logoutResponse(int itt, int response) {
        Bhs bhs = Bhs.forOpcode(Opcode.LOGOUT_RESPONSE);
        bhs.setByte2(response);
        bhs.setInitiatorTaskTag(itt);
        // Time2Wait / Time2Retain (bytes 40-41, 42-43) stay 0: at ErrorRecoveryLevel 0 nothing is retained.
        return new Pdu(bhs);
    }

    /** A Reject carries the rejected PDU's header as its data segment (§11.17). */
    static Pdu reject(int reason, Bhs rejected) {
        Bhs bhs = Bhs.forOpcode(Opcode.REJECT);
        bhs.setByte2(reason);
        bhs.setInitiatorTaskTag(Bhs.RESERVED_TAG);
        return new Pdu(bhs, Unpooled.wrappedBuffer(rejected.copy().bytes()));
    }
}
