package dev.jtarget.config;

/** Matches initiator names against {@code <allow initiator="...">} patterns, where {@code *} is any run of chars. */
public final class InitiatorPattern {
    private InitiatorPattern() {
    }

    /** iSCSI names compare case-insensitively (RFC 3722 stringprep folds case), so patterns do too. */
    public static boolean matches(String pattern, String name) {
        return matchFrom(pattern.toLowerCase(java.util.Locale.ROOT), 0, name.toLowerCase(java.util.Locale.ROOT), 0);
    }

    private static boolean matchFrom(String pattern, int p, String name, int n) {
        while (p < pattern.length()) {
            char c = pattern.charAt(p);
            if (c == '*') {
                for (int k = n; k <= name.length(); k++) {
                    if (matchFrom(pattern, p + 1, name, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (n >= name.length() || name.charAt(n) != c) {
                return false;
            }
            p++;
            n++;
        }
        return n == name.length();
    }
}
