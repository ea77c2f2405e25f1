package dev.jtarget.iscsi.login;

import java.util.Base64;
import java.util.HexFormat;

/** Binary values of CHAP keys (RFC 7143 §6.1 binary-value): {@code 0x} + hex digits or {@code 0b} + base64. */
final class BinaryValue {
    private BinaryValue() {
    }

    /** Decodes a binary value; throws IllegalArgumentException when it is neither valid hex nor valid base64. */
    static byte[] decode(String text) {
        if (text.length() < 3 || text.charAt(0) != '0') {
            throw new IllegalArgumentException("binary value without 0x or 0b prefix");
        }
        char format = text.charAt(1);
        String body = text.substring(2);
        if (format == 'x' || format == 'X') {
            // An odd number of hex digits means the first byte was written without its leading zero.
            return HexFormat.of().parseHex(body.length() % 2 == 0 ? body : "0" + body);
        }
        if (format == 'b' || format == 'B') {
            return Base64.getDecoder().decode(body);
        }
        throw new IllegalArgumentException("binary value without 0x or 0b prefix");
    }

    static String encodeHex(byte[] bytes) {
        return "0x" + HexFormat.of().formatHex(bytes);
    }
}
