package dev.jtarget.scsi;

import dev.jtarget.scsi.ScsiResponse.Residual;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Matches what a CDB wants to move against the iSCSI expected data transfer length (EDTL) and builds responses with
 * the right residual (RFC 7143 §11.4.5.1): fewer bytes than EDTL is an underflow, more is an overflow, and only what
 * both sides allow is moved.
 */
final class Transfers {
    private Transfers() {
    }

    /** Allocates a Data-In buffer; ownership passes to the response (and so to the transport). */
    static ByteBuf allocate(int bytes) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(bytes, bytes);
    }

    static long expectedLength(ScsiCommand command) {
        return Integer.toUnsignedLong(command.expectedDataTransferLength());
    }

    /** How many bytes the initiator can take: EDTL if it asked for Data-In, else nothing. */
    static long dataInCapacity(ScsiCommand command) {
        DataDirection d = command.direction();
        return d == DataDirection.READ || d == DataDirection.BIDIRECTIONAL ? expectedLength(command) : 0;
    }

    /** How many bytes the initiator announced it would send: EDTL if it sends Data-Out, else nothing. */
    static long dataOutExpected(ScsiCommand command) {
        DataDirection d = command.direction();
        return d == DataDirection.WRITE || d == DataDirection.BIDIRECTIONAL ? expectedLength(command) : 0;
    }

    /**
     * GOOD with parameter data: sends the first {@code min(data.length, allocationLength)} bytes, truncated again to
     * what the initiator can take (allocation length truncation, SPC-4 §4.2.5.6).
     */
    static ScsiResponse dataIn(ScsiCommand command, byte[] data, long allocationLength) {
        long wanted = Math.min(data.length, allocationLength);
        int send = (int) Math.min(wanted, dataInCapacity(command));
        ByteBuf buffer = null;
        if (send > 0) {
            buffer = allocate(send).writeBytes(data, 0, send);
        }
        return withResidual(command, ScsiResponse.GOOD, null, buffer, wanted);
    }

    /** GOOD for a command that wanted to move {@code wanted} bytes (0 for none). */
    static ScsiResponse good(ScsiCommand command, long wanted) {
        return withResidual(command, ScsiResponse.GOOD, null, null, wanted);
    }

    static ScsiResponse withResidual(ScsiCommand command, int status, byte[] sense, ByteBuf dataIn, long wanted) {
        long expected = expectedLength(command);
        if (wanted < expected) {
            return new ScsiResponse(status, sense, dataIn, Residual.UNDERFLOW, clamp(expected - wanted));
        }
        if (wanted > expected) {
            return new ScsiResponse(status, sense, dataIn, Residual.OVERFLOW, clamp(wanted - expected));
        }
        return new ScsiResponse(status, sense, dataIn, Residual.NONE, 0);
    }

    /**
     * The first {@code bytes} of the Data-Out buffer (a view: the transport still owns and releases it). A CDB that
     * needs more than the initiator announced is an error in the information unit; a transport that delivered less
     * than announced stopped mid-transfer, which the initiator should retry.
     */
    static ByteBuf dataOut(ScsiCommand command, long bytes) {
        if (bytes > dataOutExpected(command)) {
            throw new CheckCondition(Sense.INVALID_FIELD_IN_INFORMATION_UNIT);
        }
        ByteBuf data = command.dataOut();
        if (data == null || data.readableBytes() < bytes) {
            throw new CheckCondition(Sense.DATA_PHASE_ERROR);
        }
        return data.slice(data.readerIndex(), (int) bytes);
    }

    private static int clamp(long residual) {
        return (int) Math.min(residual, 0xFFFF_FFFFL);
    }
}
