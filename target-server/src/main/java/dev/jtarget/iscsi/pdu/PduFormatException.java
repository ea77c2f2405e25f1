package dev.jtarget.iscsi.pdu;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * The byte stream can no longer be split into PDUs (a header digest error, a DataSegmentLength over the limit, a
 * malformed AHS). The PDU boundaries are lost, so the only recovery is to close the connection (RFC 7143 §7.8).
 */
public final class PduFormatException extends CorruptedFrameException {
    public PduFormatException(String message) {
        super(message);
    }
}
