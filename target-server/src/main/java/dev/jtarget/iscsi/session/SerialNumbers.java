package dev.jtarget.iscsi.session;

/** 32-bit serial number arithmetic (RFC 1982), which CmdSN, StatSN and DataSN comparisons use (RFC 7143 §4.2.2.1). */
final class SerialNumbers {
    private SerialNumbers() {
    }

    /** a < b in serial arithmetic. */
    static boolean lessThan(int a, int b) {
        return a != b && (b - a) > 0;
    }

    /** a <= b in serial arithmetic. */
    static boolean atMost(int a, int b) {
        return a == b || lessThan(a, b);
    }
}
