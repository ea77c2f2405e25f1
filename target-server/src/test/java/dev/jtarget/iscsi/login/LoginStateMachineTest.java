package dev.jtarget.iscsi.login;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.iscsi.pdu.Pdu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static dev.jtarget.iscsi.login.FakeLoginContext.ASSIGNED_TSIH;
import static dev.jtarget.iscsi.login.FakeLoginContext.CHAP_TARGET;
import static dev.jtarget.iscsi.login.FakeLoginContext.INITIATOR;
import static dev.jtarget.iscsi.login.FakeLoginContext.MUTUAL_TARGET;
import static dev.jtarget.iscsi.login.FakeLoginContext.OPEN_TARGET;
import static dev.jtarget.iscsi.login.FakeLoginContext.RESTRICTED_TARGET;
import static dev.jtarget.iscsi.login.LoginOutcome.Kind.COMPLETE;
import static dev.jtarget.iscsi.login.LoginOutcome.Kind.CONTINUE;
import static dev.jtarget.iscsi.login.LoginOutcome.Kind.FAILED;
import static dev.jtarget.iscsi.login.LoginStateMachine.FULL_FEATURE_PHASE;
import static dev.jtarget.iscsi.login.LoginStateMachine.OPERATIONAL_NEGOTIATION;
import static dev.jtarget.iscsi.login.LoginStateMachine.SECURITY_NEGOTIATION;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoginStateMachineTest {
    private final TestPdus pdus = new TestPdus();
    private final FakeLoginContext context = new FakeLoginContext();
    private final LoginStateMachine login = new LoginStateMachine(context, TargetLimits.DEFAULTS, new FixedRandom());

    @AfterEach
    void releasePdus() {
        pdus.close();
    }

    @Test
    void loginStraightToOperationalStageReachesFullFeaturePhase() {
        LoginOutcome outcome = send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).with(
                "InitiatorName=" + INITIATOR, "InitiatorAlias=client one", "SessionType=Normal",
                "TargetName=" + OPEN_TARGET, "HeaderDigest=None", "DataDigest=CRC32C,None",
                "MaxRecvDataSegmentLength=131072", "MaxBurstLength=16776192", "FirstBurstLength=262144",
                "ImmediateData=Yes", "InitialR2T=No", "MaxOutstandingR2T=1", "ErrorRecoveryLevel=0"));

        assertEquals(COMPLETE, outcome.kind());
        Bhs response = outcome.response().bhs();
        assertEquals(Opcode.LOGIN_RESPONSE, response.opcode());
        assertTrue(response.flagBit(LoginStateMachine.TRANSIT));
        assertFalse(response.flagBit(LoginStateMachine.CONTINUE));
        assertEquals(OPERATIONAL_NEGOTIATION, TestPdus.csg(outcome.response()));
        assertEquals(FULL_FEATURE_PHASE, TestPdus.nsg(outcome.response()));
        assertEquals(0, response.byte2());
        assertEquals(0, response.byte3());
        assertEquals(TestPdus.ISID, response.isid());
        assertEquals(ASSIGNED_TSIH, response.tsih());
        assertEquals(TestPdus.ITT, response.initiatorTaskTag());
        assertEquals(TestPdus.EXP_STAT_SN, response.statSn());
        assertEquals(TestPdus.CMD_SN, response.expCmdSn());
        assertEquals(TestPdus.CMD_SN + 127, response.maxCmdSn());
        assertEquals(0, TestPdus.statusClass(outcome.response()));
        assertEquals(0, TestPdus.statusDetail(outcome.response()));
        assertEquals(TestPdus.bytes(outcome.response()).length, response.dataSegmentLength());

        assertEquals(List.of("TargetPortalGroupTag=1", "TargetAlias=Open Disk", "HeaderDigest=None",
                "DataDigest=CRC32C", "MaxBurstLength=1048576", "FirstBurstLength=262144", "ImmediateData=Yes",
                "InitialR2T=No", "MaxOutstandingR2T=1", "ErrorRecoveryLevel=0", "MaxRecvDataSegmentLength=262144"),
                TestPdus.pairs(TestPdus.bytes(outcome.response())));

        SessionParameters negotiated = login.negotiated();
        assertEquals(SessionType.NORMAL, negotiated.sessionType());
        assertEquals(INITIATOR, negotiated.initiatorName());
        assertEquals("client one", negotiated.initiatorAlias());
        assertEquals(OPEN_TARGET, negotiated.targetName());
        assertEquals(TestPdus.ISID, negotiated.isid());
        assertEquals(ASSIGNED_TSIH, negotiated.tsih());
        assertEquals(TestPdus.CID, negotiated.connectionId());
        assertFalse(negotiated.headerDigest());
        assertTrue(negotiated.dataDigest());
        assertEquals(131072, negotiated.initiatorMaxRecvDataSegmentLength());
        assertEquals(262144, negotiated.targetMaxRecvDataSegmentLength());
        assertEquals(1048576, negotiated.maxBurstLength());
        assertFalse(negotiated.initialR2T());
        assertEquals(List.of(0), context.requestedTsihs);
        assertEquals(0, context.admitted.getFirst().tsih());
        assertEquals(TestPdus.EXP_STAT_SN + 1, login.nextStatSn());
        assertEquals(TestPdus.CMD_SN, login.expCmdSn());
    }

    @Test
    void securityThenOperationalThenFullFeaturePhaseWithoutChap() {
        LoginOutcome security = send(pdus.login(SECURITY_NEGOTIATION).transitTo(OPERATIONAL_NEGOTIATION).with(
                "InitiatorName=" + INITIATOR, "SessionType=Normal", "TargetName=" + OPEN_TARGET,
                "AuthMethod=CHAP,None"));
        assertEquals(CONTINUE, security.kind());
        assertTransit(security.response(), SECURITY_NEGOTIATION, OPERATIONAL_NEGOTIATION);
        assertEquals(0, security.response().bhs().tsih());
        assertEquals(Map.of("TargetPortalGroupTag", "1", "TargetAlias", "Open Disk", "AuthMethod", "None"),
                TestPdus.keys(security.response()));

        LoginOutcome operational = send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE)
                .with("HeaderDigest=CRC32C"));
        assertEquals(COMPLETE, operational.kind());
        assertTransit(operational.response(), OPERATIONAL_NEGOTIATION, FULL_FEATURE_PHASE);
        assertEquals(TestPdus.EXP_STAT_SN + 1, operational.response().bhs().statSn());
        assertEquals(Map.of("HeaderDigest", "CRC32C", "MaxRecvDataSegmentLength", "262144"),
                TestPdus.keys(operational.response()));
        assertTrue(login.negotiated().headerDigest());
    }

    @Test
    void chapLoginWithMutualAuthenticationReachesFullFeaturePhase() throws Exception {
        LoginOutcome offer = send(pdus.login(SECURITY_NEGOTIATION).transitTo(OPERATIONAL_NEGOTIATION).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + MUTUAL_TARGET, "AuthMethod=None,CHAP"));
        // The exchange has only begun, so the target does not agree to transit yet.
        assertEquals(CONTINUE, offer.kind());
        assertNoTransit(offer.response(), SECURITY_NEGOTIATION);
        assertEquals(Map.of("TargetPortalGroupTag", "1", "AuthMethod", "CHAP"), TestPdus.keys(offer.response()));

        LoginOutcome challenge = send(pdus.login(SECURITY_NEGOTIATION).with("CHAP_A=7,5"));
        Map<String, String> challengeKeys = TestPdus.keys(challenge.response());
        assertEquals("5", challengeKeys.get("CHAP_A"));
        int identifier = Integer.parseInt(challengeKeys.get("CHAP_I"));
        byte[] ourChallenge = HexFormat.of().parseHex(challengeKeys.get("CHAP_C").substring(2));
        assertTrue(ourChallenge.length >= 16);

        byte[] mutualChallenge = "a challenge from the initiator".getBytes(StandardCharsets.US_ASCII);
        LoginOutcome authenticated = send(pdus.login(SECURITY_NEGOTIATION).transitTo(OPERATIONAL_NEGOTIATION).with(
                "CHAP_N=client1",
                "CHAP_R=0x" + HexFormat.of().formatHex(md5(identifier, "initiator-secret-1", ourChallenge)),
                "CHAP_I=200", "CHAP_C=0x" + HexFormat.of().formatHex(mutualChallenge)));
        assertEquals(CONTINUE, authenticated.kind());
        assertTransit(authenticated.response(), SECURITY_NEGOTIATION, OPERATIONAL_NEGOTIATION);
        Map<String, String> mutualKeys = TestPdus.keys(authenticated.response());
        assertEquals("target1", mutualKeys.get("CHAP_N"));
        assertArrayEquals(md5(200, "target-secret-22", mutualChallenge),
                HexFormat.of().parseHex(mutualKeys.get("CHAP_R").substring(2)));

        LoginOutcome done = send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).with());
        assertEquals(COMPLETE, done.kind());
        assertEquals(ASSIGNED_TSIH, done.response().bhs().tsih());
        assertEquals(TestPdus.EXP_STAT_SN + 3, done.response().bhs().statSn());
    }

    @Test
    void wrongChapSecretFailsWithAuthenticationFailure() throws Exception {
        startChap(CHAP_TARGET);
        LoginOutcome challenge = send(pdus.login(SECURITY_NEGOTIATION).with("CHAP_A=5"));
        Map<String, String> keys = TestPdus.keys(challenge.response());
        byte[] response = md5(Integer.parseInt(keys.get("CHAP_I")), "not-the-secret",
                HexFormat.of().parseHex(keys.get("CHAP_C").substring(2)));
        LoginOutcome outcome = send(pdus.login(SECURITY_NEGOTIATION).transitTo(OPERATIONAL_NEGOTIATION)
                .with("CHAP_N=client1", "CHAP_R=0x" + HexFormat.of().formatHex(response)));
        assertFailed(outcome, LoginStatus.AUTHENTICATION_FAILURE);
        assertEquals(0, outcome.response().bhs().dataSegmentLength());
        assertTrue(context.admitted.isEmpty());
    }

    @Test
    void mutualChallengeReflectingOursIsRefused() throws Exception {
        startChap(MUTUAL_TARGET);
        LoginOutcome challenge = send(pdus.login(SECURITY_NEGOTIATION).with("CHAP_A=5"));
        Map<String, String> keys = TestPdus.keys(challenge.response());
        byte[] ourChallenge = HexFormat.of().parseHex(keys.get("CHAP_C").substring(2));
        LoginOutcome outcome = send(pdus.login(SECURITY_NEGOTIATION).transitTo(OPERATIONAL_NEGOTIATION).with(
                "CHAP_N=client1",
                "CHAP_R=0x" + HexFormat.of().formatHex(
                        md5(Integer.parseInt(keys.get("CHAP_I")), "initiator-secret-1", ourChallenge)),
                "CHAP_I=1", "CHAP_C=" + keys.get("CHAP_C")));
        assertFailed(outcome, LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapTargetRefusesAuthMethodNone() {
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).transitTo(OPERATIONAL_NEGOTIATION).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + CHAP_TARGET, "AuthMethod=None")),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapTargetRefusesSkippingSecurityNegotiation() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + CHAP_TARGET)), LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapTargetRefusesLeavingSecurityWithoutAuthMethod() {
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).transitTo(OPERATIONAL_NEGOTIATION).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + CHAP_TARGET)), LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapWithoutMd5IsRefused() {
        startChap(CHAP_TARGET);
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).with("CHAP_A=6,7")), LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapResponseBeforeChallengeIsRefused() {
        startChap(CHAP_TARGET);
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).with("CHAP_N=client1", "CHAP_R=0x00")),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void targetWithoutChapRefusesInitiatorThatInsistsOnChap() {
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET, "AuthMethod=CHAP")),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void initiatorNotAllowedFailsWithAuthorizationFailure() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + RESTRICTED_TARGET)), LoginStatus.AUTHORIZATION_FAILURE);
    }

    @Test
    void unknownTargetFailsWithNotFound() {
        LoginOutcome outcome = send(pdus.login(SECURITY_NEGOTIATION).with(
                "InitiatorName=" + INITIATOR, "TargetName=iqn.2025-01.dev.jtarget:nothing", "AuthMethod=None"));
        assertFailed(outcome, LoginStatus.NOT_FOUND);
        Bhs response = outcome.response().bhs();
        assertEquals(TestPdus.ISID, response.isid());
        assertEquals(TestPdus.ITT, response.initiatorTaskTag());
        assertEquals(0, response.tsih());
        assertFalse(response.flagBit(LoginStateMachine.TRANSIT));
    }

    @Test
    void targetNameIsMatchedIgnoringCase() {
        assertEquals(COMPLETE, send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET.toUpperCase())).kind());
        assertEquals(OPEN_TARGET, login.negotiated().targetName());
    }

    @Test
    void missingInitiatorNameFailsWithMissingParameter() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).with("TargetName=" + OPEN_TARGET)),
                LoginStatus.MISSING_PARAMETER);
    }

    @Test
    void normalSessionWithoutTargetNameFailsWithMissingParameter() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).with("InitiatorName=" + INITIATOR)),
                LoginStatus.MISSING_PARAMETER);
    }

    @Test
    void unknownSessionTypeFailsWithSessionTypeNotSupported() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).with("InitiatorName=" + INITIATOR,
                "SessionType=Bogus")), LoginStatus.SESSION_TYPE_NOT_SUPPORTED);
    }

    @Test
    void versionMinAboveZeroFailsWithUnsupportedVersion() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).versionMin(1).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET)), LoginStatus.UNSUPPORTED_VERSION);
    }

    @Test
    void discoverySessionNeedsNoTargetName() {
        LoginOutcome outcome = send(pdus.login(SECURITY_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).with(
                "InitiatorName=" + INITIATOR, "SessionType=Discovery", "AuthMethod=None"));
        assertEquals(COMPLETE, outcome.kind());
        assertEquals(Map.of("AuthMethod", "None"), TestPdus.keys(outcome.response()));
        assertEquals(SessionType.DISCOVERY, login.negotiated().sessionType());
        assertEquals("", login.negotiated().targetName());
        // Never declared, so the initiator still assumes the default for what we accept.
        assertEquals(8192, login.negotiated().targetMaxRecvDataSegmentLength());
    }

    @Test
    void discoveryOperationalStageAnswersSessionKeysIrrelevant() {
        LoginOutcome outcome = send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).with(
                "InitiatorName=" + INITIATOR, "SessionType=Discovery", "MaxBurstLength=4096", "HeaderDigest=None"));
        assertEquals(Map.of("MaxBurstLength", "Irrelevant", "HeaderDigest", "None",
                "MaxRecvDataSegmentLength", "262144"), TestPdus.keys(outcome.response()));
        assertEquals(COMPLETE, outcome.kind());
    }

    @Test
    void unknownAndExtensionKeysAreNotUnderstoodAndTargetDeclarationsIgnored() {
        LoginOutcome outcome = send(pdus.login(OPERATIONAL_NEGOTIATION).with("InitiatorName=" + INITIATOR,
                "TargetName=" + OPEN_TARGET, "X-com.example.Feature=1", "FancyNewKey=Yes",
                "TargetAlias=mine", "SendTargets=All"));
        assertEquals(CONTINUE, outcome.kind());
        Map<String, String> keys = TestPdus.keys(outcome.response());
        assertEquals("NotUnderstood", keys.get("X-com.example.Feature"));
        assertEquals("NotUnderstood", keys.get("FancyNewKey"));
        assertEquals("Open Disk", keys.get("TargetAlias"));
        assertEquals("Reject", keys.get("SendTargets"));
    }

    @Test
    void textSpanningSeveralRequestsIsJoinedBeforeNegotiation() {
        byte[] text = TestPdus.encode("InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET,
                "MaxBurstLength=65536");
        int split = 20; // inside the InitiatorName value
        LoginOutcome partial = send(pdus.login(OPERATIONAL_NEGOTIATION).continues()
                .withBytes(Arrays.copyOfRange(text, 0, split)));
        assertEquals(CONTINUE, partial.kind());
        assertNoTransit(partial.response(), OPERATIONAL_NEGOTIATION);
        assertEquals(0, partial.response().bhs().dataSegmentLength());

        LoginOutcome rest = send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE)
                .withBytes(Arrays.copyOfRange(text, split, text.length)));
        assertEquals(COMPLETE, rest.kind());
        assertEquals("65536", TestPdus.keys(rest.response()).get("MaxBurstLength"));
        assertEquals(TestPdus.EXP_STAT_SN + 1, rest.response().bhs().statSn());
    }

    @Test
    void oversizedTextFailsWithInitiatorError() {
        byte[] chunk = new byte[8192];
        Arrays.fill(chunk, (byte) 'a');
        LoginOutcome outcome = null;
        for (int i = 0; i <= IncomingText.MAX_LENGTH / chunk.length; i++) {
            outcome = send(pdus.login(OPERATIONAL_NEGOTIATION).continues().withBytes(chunk));
        }
        assertFailed(outcome, LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void responseLongerThan8192BytesIsSentInPieces() {
        List<String> pairs = new ArrayList<>(List.of("InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET));
        for (int i = 0; i < 150; i++) {
            pairs.add(String.format("X-com.example.an.unreasonably.long.extension.key.%03d=1", i));
        }
        LoginOutcome first = send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE)
                .with(pairs.toArray(String[]::new)));
        assertEquals(CONTINUE, first.kind());
        assertTrue(first.response().bhs().flagBit(LoginStateMachine.CONTINUE));
        assertFalse(first.response().bhs().flagBit(LoginStateMachine.TRANSIT));
        assertEquals(8192, first.response().bhs().dataSegmentLength());

        LoginOutcome last = send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).with());
        assertEquals(COMPLETE, last.kind());
        assertFalse(last.response().bhs().flagBit(LoginStateMachine.CONTINUE));
        assertTransit(last.response(), OPERATIONAL_NEGOTIATION, FULL_FEATURE_PHASE);

        byte[] whole = new byte[first.response().bhs().dataSegmentLength() + last.response().bhs().dataSegmentLength()];
        System.arraycopy(TestPdus.bytes(first.response()), 0, whole, 0, 8192);
        System.arraycopy(TestPdus.bytes(last.response()), 0, whole, 8192, whole.length - 8192);
        List<String> answers = TestPdus.pairs(whole);
        assertEquals(150 + 3, answers.size()); // TargetPortalGroupTag, TargetAlias, MaxRecvDataSegmentLength
        assertTrue(answers.contains("X-com.example.an.unreasonably.long.extension.key.149=NotUnderstood"));
    }

    @Test
    void keyRepeatedInALaterRequestFailsWithInitiatorError() {
        startChap(CHAP_TARGET);
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).with("AuthMethod=CHAP")), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void changedInitiatorTaskTagFailsWithInitiatorError() {
        startChap(CHAP_TARGET);
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).itt(99).with("CHAP_A=5")), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void changedTsihFailsWithInitiatorError() {
        startChap(CHAP_TARGET);
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).tsih(5).with("CHAP_A=5")), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void operationalKeyInSecurityStageFailsWithInitiatorError() {
        assertFailed(send(pdus.login(SECURITY_NEGOTIATION).with("InitiatorName=" + INITIATOR,
                "TargetName=" + OPEN_TARGET, "AuthMethod=None", "MaxBurstLength=4096")), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void securityKeyInOperationalStageFailsWithInitiatorError() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).with("InitiatorName=" + INITIATOR,
                "TargetName=" + OPEN_TARGET, "AuthMethod=None")), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void wrongCurrentStageFailsWithInitiatorError() {
        send(pdus.login(SECURITY_NEGOTIATION).with("InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET));
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).with()), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void transitAndContinueTogetherFailWithInitiatorError() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).continues().with(
                "InitiatorName=" + INITIATOR)), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void identityKeyAfterTheFirstRequestFailsWithInitiatorError() {
        send(pdus.login(OPERATIONAL_NEGOTIATION).with("InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET));
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).with("SessionType=Normal")),
                LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void malformedTextFailsWithInitiatorError() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).withBytes(
                "InitiatorName=iqn.x".getBytes(StandardCharsets.US_ASCII))), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void otherPduDuringLoginFailsWithInvalidDuringLogin() {
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).opcode(Opcode.SCSI_COMMAND).with()),
                LoginStatus.INVALID_DURING_LOGIN);
    }

    @Test
    void admitRejectionIsAnsweredWithItsStatus() {
        context.admitFailure = new LoginRejectedException(LoginStatus.TOO_MANY_CONNECTIONS, "session is full");
        assertFailed(send(pdus.login(OPERATIONAL_NEGOTIATION).transitTo(FULL_FEATURE_PHASE).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET)), LoginStatus.TOO_MANY_CONNECTIONS);
    }

    @Test
    void connectionJoiningASessionKeepsItsTsihAndLeadingOnlyKeysAreIrrelevant() {
        LoginOutcome outcome = send(pdus.login(OPERATIONAL_NEGOTIATION).tsih(0x77).transitTo(FULL_FEATURE_PHASE)
                .with("InitiatorName=" + INITIATOR, "TargetName=" + OPEN_TARGET, "MaxBurstLength=4096"));
        assertEquals(COMPLETE, outcome.kind());
        assertEquals(0x77, outcome.response().bhs().tsih());
        assertEquals("Irrelevant", TestPdus.keys(outcome.response()).get("MaxBurstLength"));
        assertEquals(List.of(0x77), context.requestedTsihs);
    }

    @Test
    void requestsAfterFailureAreRefused() {
        send(pdus.login(OPERATIONAL_NEGOTIATION).with("TargetName=" + OPEN_TARGET));
        Pdu again = pdus.login(OPERATIONAL_NEGOTIATION).with();
        assertThrows(IllegalStateException.class, () -> login.onLoginRequest(again));
        assertThrows(IllegalStateException.class, login::negotiated);
    }

    private void startChap(String target) {
        LoginOutcome outcome = send(pdus.login(SECURITY_NEGOTIATION).with(
                "InitiatorName=" + INITIATOR, "TargetName=" + target, "AuthMethod=CHAP"));
        assertEquals("CHAP", TestPdus.keys(outcome.response()).get("AuthMethod"));
    }

    private LoginOutcome send(Pdu request) {
        LoginOutcome outcome = login.onLoginRequest(request);
        pdus.keep(outcome.response());
        return outcome;
    }

    private static void assertFailed(LoginOutcome outcome, LoginStatus status) {
        assertEquals(FAILED, outcome.kind());
        assertEquals(status.statusClass(), TestPdus.statusClass(outcome.response()), "status class");
        assertEquals(status.statusDetail(), TestPdus.statusDetail(outcome.response()), "status detail");
    }

    private static void assertTransit(Pdu response, int csg, int nsg) {
        assertTrue(response.bhs().flagBit(LoginStateMachine.TRANSIT), "T bit");
        assertEquals(csg, TestPdus.csg(response));
        assertEquals(nsg, TestPdus.nsg(response));
    }

    private static void assertNoTransit(Pdu response, int csg) {
        assertFalse(response.bhs().flagBit(LoginStateMachine.TRANSIT), "T bit");
        assertEquals(csg, TestPdus.csg(response));
    }

    /** RFC 1994 §4.1, written out independently of the code under test. */
    private static byte[] md5(int identifier, String secret, byte[] challenge) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update((byte) identifier);
        md5.update(secret.getBytes(StandardCharsets.UTF_8));
        md5.update(challenge);
        return md5.digest();
    }
}
