package dev.jtarget.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

/**
 * One iSCSI PDU: header, optional additional header segments and the data segment (without padding and digests,
 * which exist only on the wire).
 *
 * <p>Reference counted through its buffers: whoever consumes a PDU releases it once. The decoder hands out PDUs
 * whose data is a retained slice of the socket buffer, so a Data-Out payload is never copied on the way in.
 */
public final class Pdu extends AbstractReferenceCounted {
    private final Bhs bhs;
    private final ByteBuf ahs;
    private final ByteBuf data;

    public Pdu(Bhs bhs, ByteBuf ahs, ByteBuf data) {
        this.bhs = bhs;
        this.ahs = ahs == null ? Unpooled.EMPTY_BUFFER : ahs;
        this.data = data == null ? Unpooled.EMPTY_BUFFER : data;
    }

    public Pdu(Bhs bhs, ByteBuf data) {
        this(bhs, null, data);
    }

    public Pdu(Bhs bhs) {
        this(bhs, null, null);
    }

    public Bhs bhs() {
        return bhs;
    }

    /** Additional header segments, back to back, each with its own 4-byte AHS header (RFC 7143 §11.2.2). */
    public ByteBuf ahs() {
        return ahs;
    }

    public ByteBuf data() {
        return data;
    }

    public int opcode() {
        return bhs.opcode();
    }

    @Override
    protected void deallocate() {
        ahs.release();
        data.release();
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        data.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return bhs.toString();
    }
}
