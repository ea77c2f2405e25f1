package dev.jtarget.iscsi.login;

import dev.jtarget.config.TargetConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OperationalNegotiatorTest {
    private static final LoginIdentity NORMAL = new LoginIdentity(SessionType.NORMAL, "iqn.i",
            Optional.of(new TargetConfig("iqn.t", "", Optional.empty(), Optional.empty(), List.of(), List.of())));

    private final OperationalNegotiator normal =
            new OperationalNegotiator(TargetLimits.DEFAULTS, SessionType.NORMAL, true);

    @Test
    void digestIsTheFirstOfTheInitiatorsListThatWeSupport() throws Exception {
        assertEquals(Map.of("HeaderDigest", "CRC32C", "DataDigest", "None"),
                answers(normal, "HeaderDigest=CRC32C,None", "DataDigest=None,CRC32C"));
        SessionParameters result = result(normal);
        assertTrue(result.headerDigest());
        assertFalse(result.dataDigest());
    }

    @Test
    void digestListWithoutSupportedValueIsRejected() throws Exception {
        assertEquals(Map.of("HeaderDigest", "Reject"), answers(normal, "HeaderDigest=Y-com.example.Sha,MD5"));
        assertFalse(result(normal).headerDigest());
    }

    @Test
    void minimumKeysSelectTheSmallerOfOfferAndLimit() throws Exception {
        Map<String, String> answers = answers(normal, "MaxBurstLength=16776192", "FirstBurstLength=4096",
                "MaxOutstandingR2T=64", "MaxConnections=8", "DefaultTime2Retain=0", "ErrorRecoveryLevel=2");
        assertEquals(Map.of("MaxBurstLength", "1048576", "FirstBurstLength", "4096", "MaxOutstandingR2T", "16",
                "MaxConnections", "1", "DefaultTime2Retain", "0", "ErrorRecoveryLevel", "0"), answers);
        SessionParameters result = result(normal);
        assertEquals(1048576, result.maxBurstLength());
        assertEquals(4096, result.firstBurstLength());
        assertEquals(16, result.maxOutstandingR2T());
        assertEquals(1, result.maxConnections());
        assertEquals(0, result.defaultTime2Retain());
        assertEquals(0, result.errorRecoveryLevel());
    }

    @Test
    void numericalOffersMayBeHex() throws Exception {
        assertEquals(Map.of("MaxBurstLength", "65536"), answers(normal, "MaxBurstLength=0x10000"));
    }

    @Test
    void defaultTime2WaitSelectsTheLargerOfOfferAndOurs() throws Exception {
        assertEquals(Map.of("DefaultTime2Wait", "2"), answers(normal, "DefaultTime2Wait=0"));
        OperationalNegotiator other = new OperationalNegotiator(TargetLimits.DEFAULTS, SessionType.NORMAL, true);
        assertEquals(Map.of("DefaultTime2Wait", "10"), answers(other, "DefaultTime2Wait=10"));
        assertEquals(10, result(other).defaultTime2Wait());
    }

    @Test
    void outOfRangeOrMalformedNumbersAreRejectedAndKeepTheDefault() throws Exception {
        assertEquals(Map.of("MaxBurstLength", "Reject", "MaxOutstandingR2T", "Reject", "DefaultTime2Wait", "Reject",
                        "ErrorRecoveryLevel", "Reject", "MaxConnections", "Reject"),
                answers(normal, "MaxBurstLength=511", "MaxOutstandingR2T=0", "DefaultTime2Wait=3601",
                        "ErrorRecoveryLevel=3", "MaxConnections=lots"));
        SessionParameters result = result(normal);
        assertEquals(262144, result.maxBurstLength());
        assertEquals(1, result.maxOutstandingR2T());
        assertEquals(2, result.defaultTime2Wait());
    }

    @Test
    void initialR2TIsOrAndImmediateDataIsAndWithOurPreferences() throws Exception {
        assertEquals(Map.of("InitialR2T", "No", "ImmediateData", "Yes"),
                answers(normal, "InitialR2T=No", "ImmediateData=Yes"));
        SessionParameters relaxed = result(normal);
        assertFalse(relaxed.initialR2T());
        assertTrue(relaxed.immediateData());

        OperationalNegotiator strict = new OperationalNegotiator(TargetLimits.DEFAULTS, SessionType.NORMAL, true);
        assertEquals(Map.of("InitialR2T", "Yes", "ImmediateData", "No"),
                answers(strict, "InitialR2T=Yes", "ImmediateData=No"));
        assertTrue(result(strict).initialR2T());
        assertFalse(result(strict).immediateData());
    }

    @Test
    void inOrderKeysAreOrAndWeInsistOnOrder() throws Exception {
        assertEquals(Map.of("DataPDUInOrder", "Yes", "DataSequenceInOrder", "Yes"),
                answers(normal, "DataPDUInOrder=No", "DataSequenceInOrder=No"));
        assertTrue(result(normal).dataPduInOrder());
        assertTrue(result(normal).dataSequenceInOrder());
    }

    @Test
    void booleanOtherThanYesOrNoIsRejected() throws Exception {
        assertEquals(Map.of("ImmediateData", "Reject"), answers(normal, "ImmediateData=yes"));
        assertTrue(result(normal).immediateData());
    }

    @Test
    void initiatorMaxRecvDataSegmentLengthIsDeclarativeAndRemembered() throws Exception {
        assertEquals(Map.of(), answers(normal, "MaxRecvDataSegmentLength=65536"));
        assertEquals(65536, result(normal).initiatorMaxRecvDataSegmentLength());
    }

    @Test
    void unusableInitiatorMaxRecvDataSegmentLengthFailsTheLogin() {
        LoginRejectedException e = assertThrows(LoginRejectedException.class,
                () -> answers(normal, "MaxRecvDataSegmentLength=100"));
        assertEquals(LoginStatus.INITIATOR_ERROR.statusDetail(), e.statusDetail());
    }

    @Test
    void firstBurstAboveMaxBurstInTheSameRequestIsLowered() throws Exception {
        assertEquals(Map.of("FirstBurstLength", "65536", "MaxBurstLength", "65536"),
                answers(normal, "FirstBurstLength=262144", "MaxBurstLength=65536"));
        assertEquals(65536, result(normal).firstBurstLength());
    }

    @Test
    void maxBurstBelowAnEarlierFirstBurstFailsTheLogin() throws Exception {
        answers(normal, "FirstBurstLength=65536");
        answers(normal, "MaxBurstLength=4096");
        LoginRejectedException e = assertThrows(LoginRejectedException.class, () -> result(normal));
        assertEquals(LoginStatus.INITIATOR_ERROR.statusDetail(), e.statusDetail());
    }

    @Test
    void firstBurstIsNotCheckedWhenUnsolicitedDataIsOff() throws Exception {
        answers(normal, "InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=4096");
        assertEquals(4096, result(normal).maxBurstLength());
    }

    @Test
    void obsoleteMarkerKeysAreAnsweredNoAndReject() throws Exception {
        assertEquals(Map.of("IFMarker", "No", "OFMarker", "No", "IFMarkInt", "Reject", "OFMarkInt", "Reject"),
                answers(normal, "IFMarker=Yes", "OFMarker=No", "IFMarkInt=2048~8192", "OFMarkInt=2048"));
    }

    @Test
    void taskReportingAcceptsOnlyRfc3720() throws Exception {
        assertEquals(Map.of("TaskReporting", "RFC3720"), answers(normal, "TaskReporting=FastAbort,RFC3720"));
        OperationalNegotiator other = new OperationalNegotiator(TargetLimits.DEFAULTS, SessionType.NORMAL, true);
        assertEquals(Map.of("TaskReporting", "Reject"), answers(other, "TaskReporting=ResponseFence"));
    }

    @Test
    void protocolLevelIsTheMinimumOfOfferAndOne() throws Exception {
        assertEquals(Map.of("iSCSIProtocolLevel", "1"), answers(normal, "iSCSIProtocolLevel=2"));
        OperationalNegotiator other = new OperationalNegotiator(TargetLimits.DEFAULTS, SessionType.NORMAL, true);
        assertEquals(Map.of("iSCSIProtocolLevel", "0"), answers(other, "iSCSIProtocolLevel=0"));
    }

    @Test
    void sessionKeysAreIrrelevantToDiscovery() throws Exception {
        OperationalNegotiator discovery = new OperationalNegotiator(TargetLimits.DEFAULTS, SessionType.DISCOVERY, true);
        assertEquals(Map.of("MaxBurstLength", "Irrelevant", "InitialR2T", "Irrelevant", "MaxConnections", "Irrelevant",
                        "DataPDUInOrder", "Irrelevant", "HeaderDigest", "None", "ErrorRecoveryLevel", "0"),
                answers(discovery, "MaxBurstLength=4096", "InitialR2T=No", "MaxConnections=2", "DataPDUInOrder=No",
                        "HeaderDigest=None", "ErrorRecoveryLevel=0"));
    }

    @Test
    void leadingOnlyKeysAreIrrelevantOnAConnectionJoiningASession() throws Exception {
        OperationalNegotiator joining = new OperationalNegotiator(TargetLimits.DEFAULTS, SessionType.NORMAL, false);
        assertEquals(Map.of("MaxBurstLength", "Irrelevant", "ErrorRecoveryLevel", "Irrelevant", "DataDigest", "CRC32C"),
                answers(joining, "MaxBurstLength=4096", "ErrorRecoveryLevel=0", "DataDigest=CRC32C"));
    }

    @Test
    void keysNeverOfferedKeepRfcDefaults() throws Exception {
        SessionParameters result = result(normal);
        assertEquals(8192, result.initiatorMaxRecvDataSegmentLength());
        assertEquals(262144, result.maxBurstLength());
        assertEquals(65536, result.firstBurstLength());
        assertTrue(result.initialR2T());
        assertTrue(result.immediateData());
        assertEquals(1, result.maxOutstandingR2T());
        assertEquals(2, result.defaultTime2Wait());
        assertEquals(20, result.defaultTime2Retain());
        assertEquals(0, result.errorRecoveryLevel());
        assertEquals(1, result.maxConnections());
    }

    private static Map<String, String> answers(OperationalNegotiator negotiator, String... pairs)
            throws LoginRejectedException {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String pair : pairs) {
            keys.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        List<KeyValue> answers = new ArrayList<>();
        negotiator.negotiate(keys, answers);
        Map<String, String> result = new LinkedHashMap<>();
        answers.forEach(answer -> result.put(answer.key(), answer.value()));
        return result;
    }

    private static SessionParameters result(OperationalNegotiator negotiator) throws LoginRejectedException {
        return negotiator.result(NORMAL, "", 1, 1, 262144);
    }
}
