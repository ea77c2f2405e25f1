package dev.jtarget.iscsi.pdu;

import java.util.Objects;

/**
 * Emitted by {@link PduFrameDecoder} instead of a PDU whose data digest did not match. The header was intact, so the
 * stream is still in step and the session can answer with a Reject, reason "Data (payload) digest error" (0x02),
 * whose data segment is this header (RFC 7143 §7.8, §11.17.1), and keep the connection. The payload was discarded.
 *
 * @param bhs a copy of the rejected PDU's header, owned by the receiver
 */
public record DataDigestError(Bhs bhs) {
    public DataDigestError {
        Objects.requireNonNull(bhs, "bhs");
    }
}
