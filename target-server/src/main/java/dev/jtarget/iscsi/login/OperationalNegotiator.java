package dev.jtarget.iscsi.login;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The LoginOperationalNegotiation stage of one login (RFC 7143 §6.2, §13): answers each operational key with the
 * result of its negotiation function and remembers the outcome. Keys never offered keep their RFC defaults.
 *
 * <p>Answers follow §6.2: a malformed or out-of-range offer is answered "Reject" and the key keeps its default; a key
 * irrelevant to this session is answered "Irrelevant".
 */
final class OperationalNegotiator {
    /** §13: keys that mean nothing in a discovery session. */
    private static final Set<String> IRRELEVANT_FOR_DISCOVERY = Set.of(TextKeys.MAX_CONNECTIONS,
            TextKeys.INITIAL_R2T, TextKeys.IMMEDIATE_DATA, TextKeys.MAX_BURST_LENGTH, TextKeys.FIRST_BURST_LENGTH,
            TextKeys.MAX_OUTSTANDING_R2T, TextKeys.DATA_PDU_IN_ORDER, TextKeys.DATA_SEQUENCE_IN_ORDER,
            TextKeys.TASK_REPORTING);
    /** §13: "LO" keys are negotiated on the leading connection only; a connection joining a session keeps them. */
    private static final Set<String> LEADING_ONLY = Set.of(TextKeys.MAX_CONNECTIONS, TextKeys.INITIAL_R2T,
            TextKeys.IMMEDIATE_DATA, TextKeys.MAX_BURST_LENGTH, TextKeys.FIRST_BURST_LENGTH,
            TextKeys.DEFAULT_TIME_2_WAIT, TextKeys.DEFAULT_TIME_2_RETAIN, TextKeys.MAX_OUTSTANDING_R2T,
            TextKeys.DATA_PDU_IN_ORDER, TextKeys.DATA_SEQUENCE_IN_ORDER, TextKeys.ERROR_RECOVERY_LEVEL,
            TextKeys.TASK_REPORTING, TextKeys.ISCSI_PROTOCOL_LEVEL);
    private static final int MAX_DATA_LENGTH = 0xffffff;
    /** We implement error recovery level 0 only (§7.1.5: session recovery by logging in again). */
    private static final int OUR_ERROR_RECOVERY_LEVEL = 0;
    /** Unsolicited data saves a round trip per write, so we do not insist on R2Ts (§13.10). */
    private static final boolean OUR_INITIAL_R2T = false;
    /** Immediate data likewise saves a round trip (§13.11). */
    private static final boolean OUR_IMMEDIATE_DATA = true;
    /** In-order Data PDUs and sequences (§13.18, §13.19) keep the session's reassembly simple. */
    private static final boolean OUR_IN_ORDER = true;
    /** RFC 7144 §2.1: level 1 is RFC 7143 without the RFC 7144 SAM-4/5 additions. */
    private static final int OUR_PROTOCOL_LEVEL = 1;

    private final TargetLimits limits;
    private final SessionType sessionType;
    private final boolean leadingConnection;

    // Results, initialised to the RFC 7143 §13 defaults.
    private boolean headerDigest;
    private boolean dataDigest;
    private int initiatorMaxRecvDataSegmentLength = TextKeys.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
    private int maxBurstLength = 262144;
    private int firstBurstLength = 65536;
    private boolean initialR2T = true;
    private boolean immediateData = true;
    private int maxOutstandingR2T = 1;
    private boolean dataPduInOrder = true;
    private boolean dataSequenceInOrder = true;
    private int defaultTime2Wait = 2;
    private int defaultTime2Retain = 20;
    private int errorRecoveryLevel;
    private int maxConnections = 1;

    OperationalNegotiator(TargetLimits limits, SessionType sessionType, boolean leadingConnection) {
        this.limits = limits;
        this.sessionType = sessionType;
        this.leadingConnection = leadingConnection;
    }

    /** Answers the operational keys of one Login Request, appending the answers that need sending. */
    void negotiate(Map<String, String> keys, List<KeyValue> answers) throws LoginRejectedException {
        int firstBurstAnswer = -1;
        for (Map.Entry<String, String> entry : keys.entrySet()) {
            String answer = answer(entry.getKey(), entry.getValue());
            if (answer != null) {
                if (entry.getKey().equals(TextKeys.FIRST_BURST_LENGTH)) {
                    firstBurstAnswer = answers.size();
                }
                answers.add(new KeyValue(entry.getKey(), answer));
            }
        }
        // §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength. When both come in the same request the order of
        // evaluation must not matter, so lower our FirstBurstLength answer (still a valid Minimum result) here.
        if (firstBurstAnswer >= 0 && firstBurstLength > maxBurstLength) {
            firstBurstLength = maxBurstLength;
            answers.set(firstBurstAnswer, new KeyValue(TextKeys.FIRST_BURST_LENGTH, Integer.toString(maxBurstLength)));
        }
    }

    /**
     * The negotiated values, checked for consistency across requests.
     *
     * @throws LoginRejectedException when the initiator left FirstBurstLength above MaxBurstLength, e.g. by lowering
     *                                MaxBurstLength below the FirstBurstLength default or an earlier answer
     */
    SessionParameters result(LoginIdentity identity, String initiatorAlias, long isid, int connectionId,
                             int declaredMaxRecvDataSegmentLength) throws LoginRejectedException {
        boolean firstBurstRelevant = !initialR2T || immediateData;
        if (sessionType == SessionType.NORMAL && firstBurstRelevant && firstBurstLength > maxBurstLength) {
            throw new LoginRejectedException(LoginStatus.INITIATOR_ERROR, "FirstBurstLength " + firstBurstLength
                    + " exceeds MaxBurstLength " + maxBurstLength);
        }
        return new SessionParameters(sessionType, identity.initiatorName(), initiatorAlias, identity.targetName(),
                isid, 0, connectionId, headerDigest, dataDigest, initiatorMaxRecvDataSegmentLength,
                declaredMaxRecvDataSegmentLength, maxBurstLength, firstBurstLength, initialR2T, immediateData,
                maxOutstandingR2T, dataPduInOrder, dataSequenceInOrder, defaultTime2Wait, defaultTime2Retain,
                errorRecoveryLevel, maxConnections);
    }

    /** Our answer to one key, or null when the key is declarative and takes none. */
    private String answer(String key, String value) throws LoginRejectedException {
        if (sessionType == SessionType.DISCOVERY && IRRELEVANT_FOR_DISCOVERY.contains(key)) {
            return TextKeys.IRRELEVANT;
        }
        if (!leadingConnection && LEADING_ONLY.contains(key)) {
            return TextKeys.IRRELEVANT;
        }
        return switch (key) {
            case TextKeys.HEADER_DIGEST -> {
                String digest = selectDigest(value);
                headerDigest = TextKeys.CRC32C.equals(digest);
                yield digest;
            }
            case TextKeys.DATA_DIGEST -> {
                String digest = selectDigest(value);
                dataDigest = TextKeys.CRC32C.equals(digest);
                yield digest;
            }
            case TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH -> {
                // Declarative (§13.12): the initiator states what it can receive; nothing to answer. Our own
                // declaration is added by the login state machine. An unusable value leaves us nothing safe to
                // send with, so it ends the login.
                long declared = NumericalValue.parseInRange(value, 512, MAX_DATA_LENGTH);
                if (declared < 0) {
                    throw new LoginRejectedException(LoginStatus.INITIATOR_ERROR,
                            "MaxRecvDataSegmentLength=" + value + " is outside [512, 16777215]");
                }
                initiatorMaxRecvDataSegmentLength = (int) declared;
                yield null;
            }
            case TextKeys.MAX_BURST_LENGTH -> minimum(value, 512, MAX_DATA_LENGTH, limits.maxBurstLength(),
                    result -> maxBurstLength = result);
            case TextKeys.FIRST_BURST_LENGTH -> minimum(value, 512, MAX_DATA_LENGTH, limits.firstBurstLength(),
                    result -> firstBurstLength = result);
            case TextKeys.MAX_OUTSTANDING_R2T -> minimum(value, 1, 65535, limits.maxOutstandingR2T(),
                    result -> maxOutstandingR2T = result);
            case TextKeys.MAX_CONNECTIONS -> minimum(value, 1, 65535, limits.maxConnections(),
                    result -> maxConnections = result);
            case TextKeys.DEFAULT_TIME_2_RETAIN -> minimum(value, 0, 3600, limits.defaultTime2Retain(),
                    result -> defaultTime2Retain = result);
            case TextKeys.ERROR_RECOVERY_LEVEL -> minimum(value, 0, 2, OUR_ERROR_RECOVERY_LEVEL,
                    result -> errorRecoveryLevel = result);
            case TextKeys.ISCSI_PROTOCOL_LEVEL -> minimum(value, 0, 31, OUR_PROTOCOL_LEVEL, result -> { });
            case TextKeys.DEFAULT_TIME_2_WAIT -> {
                long offered = NumericalValue.parseInRange(value, 0, 3600);
                if (offered < 0) {
                    yield TextKeys.REJECT;
                }
                defaultTime2Wait = (int) Math.max(offered, limits.defaultTime2Wait());
                yield Integer.toString(defaultTime2Wait);
            }
            // Boolean results (§6.2.2). InitialR2T (OR) and ImmediateData (AND) end up as the initiator offers;
            // the in-order keys (OR) always end up Yes, so the session sees Data PDUs and sequences in order.
            case TextKeys.INITIAL_R2T -> bool(value, offered -> initialR2T = offered || OUR_INITIAL_R2T);
            case TextKeys.IMMEDIATE_DATA -> bool(value, offered -> immediateData = offered && OUR_IMMEDIATE_DATA);
            case TextKeys.DATA_PDU_IN_ORDER -> bool(value, offered -> dataPduInOrder = offered || OUR_IN_ORDER);
            case TextKeys.DATA_SEQUENCE_IN_ORDER ->
                    bool(value, offered -> dataSequenceInOrder = offered || OUR_IN_ORDER);
            case TextKeys.TASK_REPORTING ->
                    // §13.23: we implement the RFC3720 task reporting semantics only (no ResponseFence/FastAbort).
                    Arrays.asList(value.split(",", -1)).contains("RFC3720") ? "RFC3720" : TextKeys.REJECT;
            // §13.26: markers were removed by RFC 7143. "No" (allowed for IFMarker/OFMarker) is understood by RFC
            // 3720 initiators too; the interval keys MUST be answered "Reject", never "NotUnderstood".
            case TextKeys.IF_MARKER, TextKeys.OF_MARKER -> TextKeys.NO;
            case TextKeys.IF_MARK_INT, TextKeys.OF_MARK_INT -> TextKeys.REJECT;
            default -> throw new IllegalArgumentException("not an operational key: " + key);
        };
    }

    /** §6.2.1 list negotiation: the first of the initiator's values we support, or "Reject" if none. */
    private static String selectDigest(String offered) {
        for (String digest : offered.split(",", -1)) {
            if (digest.equals(TextKeys.CRC32C) || digest.equals(TextKeys.NONE)) {
                return digest;
            }
        }
        return TextKeys.REJECT;
    }

    private static String minimum(String value, int min, int max, int ours, IntSetter result) {
        long offered = NumericalValue.parseInRange(value, min, max);
        if (offered < 0) {
            return TextKeys.REJECT;
        }
        int selected = (int) Math.min(offered, ours);
        result.set(selected);
        return Integer.toString(selected);
    }

    private String bool(String value, BooleanFunction result) {
        boolean offered;
        if (value.equals(TextKeys.YES)) {
            offered = true;
        } else if (value.equals(TextKeys.NO)) {
            offered = false;
        } else {
            return TextKeys.REJECT;
        }
        return result.apply(offered) ? TextKeys.YES : TextKeys.NO;
    }

    @FunctionalInterface
    private interface IntSetter {
        void set(int value);
    }

    @FunctionalInterface
    private interface BooleanFunction {
        /** Stores and returns the negotiated result for the initiator's offer. */
        boolean apply(boolean offered);
    }
}
