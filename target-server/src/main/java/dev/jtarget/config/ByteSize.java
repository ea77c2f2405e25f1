package dev.jtarget.config;

import java.util.Locale;

/**
 * Sizes as the configuration writes them: a byte count, or a number with a binary unit (KiB, MiB, GiB, TiB, or the
 * short forms K, M, G, T, which mean the same binary units). The schema checks the spelling; this class does the
 * arithmetic, including overflow, which a pattern cannot.
 */
public final class ByteSize {

    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB"};

    private ByteSize() {
    }

    /**
     * Parses {@code 512}, {@code 64K}, {@code 1GiB}, ...
     *
     * @throws IllegalArgumentException when the text is not a size or does not fit in a signed 64-bit byte count
     */
    public static long parse(String text) {
        int digits = 0;
        while (digits < text.length() && Character.isDigit(text.charAt(digits))) {
            digits++;
        }
        if (digits == 0) {
            throw new IllegalArgumentException("not a size: '" + text + "'");
        }
        int shift = shiftFor(text.substring(digits));
        try {
            long number = Long.parseLong(text, 0, digits, 10);
            return Math.multiplyExact(number, 1L << shift);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("size '" + text + "' is too large", e);
        }
    }

    private static int shiftFor(String unit) {
        return switch (unit) {
            case "" -> 0;
            case "K", "KiB" -> 10;
            case "M", "MiB" -> 20;
            case "G", "GiB" -> 30;
            case "T", "TiB" -> 40;
            default -> throw new IllegalArgumentException("unknown size unit '" + unit + "'");
        };
    }

    /** For people: {@code 1 GiB}, {@code 1.5 GiB}, {@code 512 bytes}. */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return value == Math.rint(value)
                ? String.format(Locale.ROOT, "%d %s", (long) value, UNITS[unit])
                : String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }
}
