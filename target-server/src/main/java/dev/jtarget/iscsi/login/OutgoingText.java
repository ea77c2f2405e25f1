package dev.jtarget.iscsi.login;

import java.util.Arrays;

/**
 * A response text cut into data segments no longer than the peer accepts; the pieces go out in PDUs with the C bit
 * (login) or F=0 and a Target Transfer Tag (text), one per request from the peer (RFC 7143 §6.1, §11.11.4).
 */
final class OutgoingText {
    private final byte[] text;
    private int offset;

    OutgoingText(byte[] text) {
        this.text = text;
    }

    byte[] next(int maxLength) {
        int length = Math.min(maxLength, text.length - offset);
        byte[] chunk = Arrays.copyOfRange(text, offset, offset + length);
        offset += length;
        return chunk;
    }

    boolean hasMore() {
        return offset < text.length;
    }
}
