package dev.jtarget.iscsi.login;

import java.util.Set;

/** Key names and reserved values of iSCSI text negotiation (RFC 7143 §6.2 and §13, RFC 7144 §2.1). */
final class TextKeys {
    // §13.21, §13.4, §13.5, §13.6: who is logging in to what
    static final String SESSION_TYPE = "SessionType";
    static final String INITIATOR_NAME = "InitiatorName";
    static final String TARGET_NAME = "TargetName";
    static final String INITIATOR_ALIAS = "InitiatorAlias";

    // §13.7-13.9: declared by the target only
    static final String TARGET_ALIAS = "TargetAlias";
    static final String TARGET_ADDRESS = "TargetAddress";
    static final String TARGET_PORTAL_GROUP_TAG = "TargetPortalGroupTag";

    // §12.1, §12.1.3: security negotiation
    static final String AUTH_METHOD = "AuthMethod";
    static final String CHAP_A = "CHAP_A";
    static final String CHAP_I = "CHAP_I";
    static final String CHAP_C = "CHAP_C";
    static final String CHAP_N = "CHAP_N";
    static final String CHAP_R = "CHAP_R";

    // §13.1-13.20, §13.23, RFC 7144 §2.1: operational parameters
    static final String HEADER_DIGEST = "HeaderDigest";
    static final String DATA_DIGEST = "DataDigest";
    static final String MAX_CONNECTIONS = "MaxConnections";
    static final String INITIAL_R2T = "InitialR2T";
    static final String IMMEDIATE_DATA = "ImmediateData";
    static final String MAX_RECV_DATA_SEGMENT_LENGTH = "MaxRecvDataSegmentLength";
    static final String MAX_BURST_LENGTH = "MaxBurstLength";
    static final String FIRST_BURST_LENGTH = "FirstBurstLength";
    static final String DEFAULT_TIME_2_WAIT = "DefaultTime2Wait";
    static final String DEFAULT_TIME_2_RETAIN = "DefaultTime2Retain";
    static final String MAX_OUTSTANDING_R2T = "MaxOutstandingR2T";
    static final String DATA_PDU_IN_ORDER = "DataPDUInOrder";
    static final String DATA_SEQUENCE_IN_ORDER = "DataSequenceInOrder";
    static final String ERROR_RECOVERY_LEVEL = "ErrorRecoveryLevel";
    static final String TASK_REPORTING = "TaskReporting";
    static final String ISCSI_PROTOCOL_LEVEL = "iSCSIProtocolLevel";
    // §13.26: RFC 3720 keys obsoleted by RFC 7143 that older initiators still send
    static final String IF_MARKER = "IFMarker";
    static final String OF_MARKER = "OFMarker";
    static final String IF_MARK_INT = "IFMarkInt";
    static final String OF_MARK_INT = "OFMarkInt";

    // Appendix C: full feature phase only
    static final String SEND_TARGETS = "SendTargets";

    // §6.2: reserved answer values
    static final String REJECT = "Reject";
    static final String IRRELEVANT = "Irrelevant";
    static final String NOT_UNDERSTOOD = "NotUnderstood";
    static final String YES = "Yes";
    static final String NO = "No";
    static final String NONE = "None";
    static final String CHAP = "CHAP";
    static final String CRC32C = "CRC32C";

    /** The default of MaxRecvDataSegmentLength in both directions, which also bounds every login PDU (§13.12). */
    static final int DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;

    static final Set<String> SECURITY = Set.of(AUTH_METHOD, CHAP_A, CHAP_I, CHAP_C, CHAP_N, CHAP_R);

    static final Set<String> OPERATIONAL = Set.of(HEADER_DIGEST, DATA_DIGEST, MAX_CONNECTIONS, INITIAL_R2T,
            IMMEDIATE_DATA, MAX_RECV_DATA_SEGMENT_LENGTH, MAX_BURST_LENGTH, FIRST_BURST_LENGTH, DEFAULT_TIME_2_WAIT,
            DEFAULT_TIME_2_RETAIN, MAX_OUTSTANDING_R2T, DATA_PDU_IN_ORDER, DATA_SEQUENCE_IN_ORDER,
            ERROR_RECOVERY_LEVEL, TASK_REPORTING, ISCSI_PROTOCOL_LEVEL, IF_MARKER, OF_MARKER, IF_MARK_INT,
            OF_MARK_INT);

    /** Keys only the initiator's first Login Request carries (§6.3, §13.4-13.5, §13.21). */
    static final Set<String> IDENTITY = Set.of(SESSION_TYPE, INITIATOR_NAME, TARGET_NAME);

    /** Keys whose sender is the target (§13.7-13.9): an initiator offering them gets "Reject". */
    static final Set<String> TARGET_DECLARED = Set.of(TARGET_ALIAS, TARGET_ADDRESS, TARGET_PORTAL_GROUP_TAG);

    private TextKeys() {
    }
}
