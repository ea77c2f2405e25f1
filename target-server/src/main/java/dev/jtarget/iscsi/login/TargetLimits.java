package dev.jtarget.iscsi.login;

/**
 * What this target offers and accepts in operational negotiation (RFC 7143 §13).
 *
 * <p>Each minimum-negotiated limit must be at least the key's RFC default, and DefaultTime2Wait at most its default:
 * an initiator that does not offer a key gets the default without negotiating, so a stricter limit could only be
 * enforced by the target making its own offers, which this implementation does not do.
 *
 * @param maxRecvDataSegmentLength the largest data segment we accept, declared to the initiator (§13.12)
 * @param commandWindow            commands the initiator may have outstanding: MaxCmdSN = ExpCmdSN + window - 1
 * @param maxConnections           connections per session we accept (§13.2)
 */
public record TargetLimits(int maxRecvDataSegmentLength, int maxBurstLength, int firstBurstLength,
                           int maxOutstandingR2T, int defaultTime2Wait, int defaultTime2Retain, int commandWindow,
                           int maxConnections) {

    public static final TargetLimits DEFAULTS = new TargetLimits(262144, 1048576, 262144, 16, 2, 20, 128, 1);

    public TargetLimits {
        requireRange("MaxRecvDataSegmentLength", maxRecvDataSegmentLength, 512, 0xffffff);
        requireRange("MaxBurstLength", maxBurstLength, 262144, 0xffffff);
        requireRange("FirstBurstLength", firstBurstLength, 65536, maxBurstLength);
        requireRange("MaxOutstandingR2T", maxOutstandingR2T, 1, 65535);
        requireRange("DefaultTime2Wait", defaultTime2Wait, 0, 2);
        requireRange("DefaultTime2Retain", defaultTime2Retain, 20, 3600);
        requireRange("command window", commandWindow, 1, 1 << 30);
        requireRange("MaxConnections", maxConnections, 1, 65535);
    }

    private static void requireRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + value);
        }
    }
}
