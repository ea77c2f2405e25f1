package dev.jtarget.iscsi.login;

import java.util.OptionalLong;

/** Parses a numerical-value (RFC 7143 §6.1): an unsigned decimal-constant or a 0x-prefixed hex-constant. */
final class NumericalValue {
    private NumericalValue() {
    }

    /** The value, or empty when the text is not a number that fits in 63 bits (no legal key value comes close). */
    static OptionalLong parse(String text) {
        int radix = 10;
        String digits = text;
        if (text.length() > 2 && text.charAt(0) == '0' && (text.charAt(1) == 'x' || text.charAt(1) == 'X')) {
            radix = 16;
            digits = text.substring(2);
        }
        // 18 decimal or 15 hex digits always fit in a positive long.
        if (digits.isEmpty() || digits.length() > (radix == 10 ? 18 : 15)) {
            return OptionalLong.empty();
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            int digit = Character.digit(digits.charAt(i), radix);
            if (digit < 0) {
                return OptionalLong.empty();
            }
            value = value * radix + digit;
        }
        return OptionalLong.of(value);
    }

    /** The value if it lies in {@code [min, max]}, else -1 (the caller answers "Reject"). */
    static long parseInRange(String text, long min, long max) {
        OptionalLong value = parse(text);
        if (value.isEmpty() || value.getAsLong() < min || value.getAsLong() > max) {
            return -1;
        }
        return value.getAsLong();
    }
}
