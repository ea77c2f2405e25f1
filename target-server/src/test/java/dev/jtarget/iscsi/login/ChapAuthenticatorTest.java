package dev.jtarget.iscsi.login;

import dev.jtarget.config.ChapCredentials;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChapAuthenticatorTest {
    private static final ChapCredentials CHAP = FakeLoginContext.CHAP;
    private static final ChapCredentials MUTUAL = FakeLoginContext.MUTUAL;
    /** MD5(0x2a || "initiator-secret-1" || 00 01 .. 0f), computed outside Java (Python hashlib). */
    private static final String KNOWN_RESPONSE = "0xe79fdcbe5e09993799a5f67c719b8cdc";
    /** MD5(0x07 || "target-secret-22" || a0 a1 .. b3), computed outside Java (Python hashlib). */
    private static final String KNOWN_MUTUAL_RESPONSE = "0x545edacbd1748e93dc15dc8ebae259e3";
    private static final String MUTUAL_CHALLENGE = "0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";

    private final ChapAuthenticator withoutMutual = new ChapAuthenticator(CHAP, Optional.empty(), new FixedRandom());
    private final ChapAuthenticator withMutual = new ChapAuthenticator(CHAP, Optional.of(MUTUAL), new FixedRandom());

    @Test
    void challengeOffersMd5WithTheGeneratedIdentifierAndChallenge() {
        assertEquals(List.of(new KeyValue("CHAP_A", "5"), new KeyValue("CHAP_I", "42"),
                new KeyValue("CHAP_C", "0x000102030405060708090a0b0c0d0e0f")), withoutMutual.challengeKeys());
    }

    @Test
    void knownAnswerResponseAuthenticates() throws Exception {
        assertEquals(List.of(), withoutMutual.authenticate("client1", KNOWN_RESPONSE, null, null));
    }

    @Test
    void responseComputedWithRfc1994FormulaAuthenticates() throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update((byte) FixedRandom.IDENTIFIER);
        md5.update("initiator-secret-1".getBytes(StandardCharsets.UTF_8));
        md5.update(HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f"));
        String base64 = "0b" + Base64.getEncoder().encodeToString(md5.digest());
        assertEquals(List.of(), withoutMutual.authenticate("client1", base64, null, null));
    }

    @Test
    void responseWithUppercaseHexPrefixAuthenticates() throws Exception {
        assertEquals(List.of(), withoutMutual.authenticate("client1", "0X" + KNOWN_RESPONSE.substring(2), null, null));
    }

    @Test
    void wrongSecretIsAnAuthenticationFailure() {
        String wrong = BinaryValue.encodeHex(ChapAuthenticator.md5Response(FixedRandom.IDENTIFIER,
                "wrong-secret".getBytes(StandardCharsets.UTF_8),
                HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f")));
        assertAuthenticationFailure(() -> withoutMutual.authenticate("client1", wrong, null, null));
    }

    @Test
    void wrongUserIsAnAuthenticationFailure() {
        assertAuthenticationFailure(() -> withoutMutual.authenticate("someone-else", KNOWN_RESPONSE, null, null));
    }

    @Test
    void responseOfWrongLengthOrEncodingIsAnAuthenticationFailure() {
        assertAuthenticationFailure(() -> withoutMutual.authenticate("client1", "0x0102", null, null));
        assertAuthenticationFailure(() -> withoutMutual.authenticate("client1", "e79fdcbe5e0999", null, null));
        assertAuthenticationFailure(() -> withoutMutual.authenticate("client1", "0xzz", null, null));
    }

    @Test
    void mutualChallengeIsAnsweredWithMutualCredentials() throws Exception {
        List<KeyValue> answer = withMutual.authenticate("client1", KNOWN_RESPONSE, "7", MUTUAL_CHALLENGE);
        assertEquals(List.of(new KeyValue("CHAP_N", "target1"), new KeyValue("CHAP_R", KNOWN_MUTUAL_RESPONSE)),
                answer);
    }

    @Test
    void mutualAnswerMatchesRfc1994FormulaForBase64Challenge() throws Exception {
        byte[] challenge = new byte[48];
        for (int i = 0; i < challenge.length; i++) {
            challenge[i] = (byte) (200 - i);
        }
        List<KeyValue> answer = withMutual.authenticate("client1", KNOWN_RESPONSE, "0xff",
                "0b" + Base64.getEncoder().encodeToString(challenge));
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update((byte) 0xff);
        md5.update(MUTUAL.secret().getBytes(StandardCharsets.UTF_8));
        md5.update(challenge);
        assertArrayEquals(md5.digest(), BinaryValue.decode(answer.get(1).value()));
    }

    @Test
    void reflectedChallengeIsRefused() {
        assertAuthenticationFailure(() -> withMutual.authenticate("client1", KNOWN_RESPONSE, "7",
                "0x000102030405060708090a0b0c0d0e0f"));
    }

    @Test
    void mutualChapIsRefusedWhenTargetHasNoMutualCredentials() {
        assertAuthenticationFailure(() -> withoutMutual.authenticate("client1", KNOWN_RESPONSE, "7", MUTUAL_CHALLENGE));
    }

    @Test
    void mutualChapNeedsBothIdentifierAndChallenge() {
        assertAuthenticationFailure(() -> withMutual.authenticate("client1", KNOWN_RESPONSE, "7", null));
        assertAuthenticationFailure(() -> withMutual.authenticate("client1", KNOWN_RESPONSE, null, MUTUAL_CHALLENGE));
    }

    @Test
    void mutualIdentifierOutOfRangeIsRefused() {
        assertAuthenticationFailure(() -> withMutual.authenticate("client1", KNOWN_RESPONSE, "256", MUTUAL_CHALLENGE));
    }

    @Test
    void oversizedMutualChallengeIsRefused() {
        String huge = BinaryValue.encodeHex(new byte[ChapAuthenticator.MAX_CHALLENGE_LENGTH + 1]);
        assertAuthenticationFailure(() -> withMutual.authenticate("client1", KNOWN_RESPONSE, "7", huge));
    }

    @Test
    void failureMessagesNeverContainSecretsOrResponses() {
        LoginRejectedException e = assertThrows(LoginRejectedException.class,
                () -> withMutual.authenticate("client1", "0x00112233445566778899aabbccddeeff", null, null));
        assertTrue(!e.getMessage().contains(CHAP.secret()) && !e.getMessage().contains("00112233"), e.getMessage());
    }

    private static void assertAuthenticationFailure(org.junit.jupiter.api.function.Executable action) {
        LoginRejectedException e = assertThrows(LoginRejectedException.class, action);
        assertEquals(2, e.statusClass());
        assertEquals(1, e.statusDetail());
    }
}
