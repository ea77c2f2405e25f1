package dev.jtarget.iscsi.login;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;

/**
 * Joins the data segments of a request sent as several PDUs with the C bit (RFC 7143 §11.10.2, §11.12.2); a
 * key=value pair may straddle two PDUs, so nothing is parsed until the last one arrives.
 */
final class IncomingText {
    /** Well above the 16 KiB a negotiation sequence must fit in (§6.1), small enough to bound a hostile peer. */
    static final int MAX_LENGTH = 64 * 1024;

    private final ByteArrayOutputStream text = new ByteArrayOutputStream();

    /** Copies {@code data} without moving its reader index; the caller keeps ownership of the buffer. */
    void append(ByteBuf data) throws TextFormatException {
        int length = data.readableBytes();
        if (text.size() + length > MAX_LENGTH) {
            throw new TextFormatException("text longer than " + MAX_LENGTH + " bytes");
        }
        byte[] bytes = new byte[length];
        data.getBytes(data.readerIndex(), bytes);
        text.writeBytes(bytes);
    }

    /** Everything appended since the last call. */
    byte[] take() {
        byte[] bytes = text.toByteArray();
        text.reset();
        return bytes;
    }

    void clear() {
        text.reset();
    }
}
