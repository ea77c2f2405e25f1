package dev.jtarget.iscsi.pdu;

/**
 * The framing parameters of one connection, shared by its {@link PduFrameDecoder} and {@link PduEncoder}.
 *
 * <p>Not thread-safe on purpose: it is read and written only on the connection's event loop. The decoder reads it
 * once per PDU, and hands each decoded PDU up the pipeline before it looks at the next one, so a change made by the
 * session while it handles PDU n (synchronously, in {@code channelRead}) applies exactly from PDU n+1 on. On the
 * way out a change applies to every PDU written after it. Negotiated digests cover every PDU of the Full Feature
 * Phase (RFC 7143 §13.1), so the session writes the final Login Response first and then enables them.
 */
public final class CodecSettings {
    /** The MaxRecvDataSegmentLength in force during login, before any value was negotiated (RFC 7143 §13.12). */
    public static final int LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;
    /** The smallest value RFC 7143 §13.12 allows to declare. */
    public static final int MIN_MAX_RECV_DATA_SEGMENT_LENGTH = 512;
    /** The largest value RFC 7143 §13.12 allows to declare; also the largest a 24-bit DataSegmentLength can say. */
    public static final int MAX_MAX_RECV_DATA_SEGMENT_LENGTH = 0xffffff;

    private boolean headerDigest;
    private boolean dataDigest;
    private int maxRecvDataSegmentLength = LOGIN_MAX_RECV_DATA_SEGMENT_LENGTH;

    /** Whether a CRC32C HeaderDigest follows the BHS and AHS of every PDU, in both directions. */
    public boolean headerDigest() {
        return headerDigest;
    }

    public void setHeaderDigest(boolean enabled) {
        this.headerDigest = enabled;
    }

    /** Whether a CRC32C DataDigest follows every non-empty data segment, in both directions. */
    public boolean dataDigest() {
        return dataDigest;
    }

    public void setDataDigest(boolean enabled) {
        this.dataDigest = enabled;
    }

    /** The largest data segment this side accepts; a longer DataSegmentLength is a protocol error. */
    public int maxRecvDataSegmentLength() {
        return maxRecvDataSegmentLength;
    }

    public void setMaxRecvDataSegmentLength(int bytes) {
        if (bytes < MIN_MAX_RECV_DATA_SEGMENT_LENGTH || bytes > MAX_MAX_RECV_DATA_SEGMENT_LENGTH) {
            throw new IllegalArgumentException("MaxRecvDataSegmentLength must be 512 to 2^24-1, got " + bytes);
        }
        this.maxRecvDataSegmentLength = bytes;
    }

    @Override
    public String toString() {
        return "HeaderDigest=" + (headerDigest ? "CRC32C" : "None") + " DataDigest=" + (dataDigest ? "CRC32C" : "None")
                + " MaxRecvDataSegmentLength=" + maxRecvDataSegmentLength;
    }
}
