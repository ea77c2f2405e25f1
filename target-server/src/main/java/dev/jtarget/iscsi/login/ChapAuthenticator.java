package dev.jtarget.iscsi.login;

import dev.jtarget.config.ChapCredentials;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;

/**
 * One CHAP exchange (RFC 1994 as profiled by RFC 7143 §12.1.3): our challenge, the check of the initiator's
 * response, and for mutual CHAP our response to the initiator's challenge.
 *
 * <p>Nothing secret or derived from a secret is ever put into an exception message, because those reach the log.
 */
final class ChapAuthenticator {
    /** CHAP_A value for MD5 (RFC 1994 §2 / IANA PPP authentication algorithms); the only one we accept. */
    static final int ALGORITHM_MD5 = 5;
    static final int CHALLENGE_LENGTH = 16;
    /** RFC 7143 §12.1.3: challenges and responses are at most 1024 bytes. */
    static final int MAX_CHALLENGE_LENGTH = 1024;
    private static final int MD5_LENGTH = 16;

    private final ChapCredentials credentials;
    private final Optional<ChapCredentials> mutualCredentials;
    private final int identifier;
    private final byte[] challenge;

    ChapAuthenticator(ChapCredentials credentials, Optional<ChapCredentials> mutualCredentials, SecureRandom random) {
        this.credentials = credentials;
        this.mutualCredentials = mutualCredentials;
        this.identifier = random.nextInt(256);
        this.challenge = new byte[CHALLENGE_LENGTH];
        random.nextBytes(challenge);
    }

    /** The keys of our reply to CHAP_A: the algorithm, our identifier and our challenge. */
    List<KeyValue> challengeKeys() {
        return List.of(new KeyValue(TextKeys.CHAP_A, Integer.toString(ALGORITHM_MD5)),
                new KeyValue(TextKeys.CHAP_I, Integer.toString(identifier)),
                new KeyValue(TextKeys.CHAP_C, BinaryValue.encodeHex(challenge)));
    }

    /**
     * Checks CHAP_N/CHAP_R. When the initiator also sent CHAP_I/CHAP_C (mutual CHAP), returns our CHAP_N/CHAP_R
     * for its challenge; otherwise an empty list.
     *
     * @param mutualIdentifier the initiator's CHAP_I or null
     * @param mutualChallenge  the initiator's CHAP_C or null
     */
    List<KeyValue> authenticate(String name, String response, String mutualIdentifier, String mutualChallenge)
            throws LoginRejectedException {
        byte[] responseBytes = decodeBinary(TextKeys.CHAP_R, response);
        byte[] expected = md5Response(identifier, credentials.secretBytes(), challenge);
        // Both comparisons are constant-time so timing reveals neither the user name nor the expected response.
        boolean nameMatches = MessageDigest.isEqual(name.getBytes(StandardCharsets.UTF_8),
                credentials.user().getBytes(StandardCharsets.UTF_8));
        boolean responseMatches = MessageDigest.isEqual(responseBytes, expected);
        if (!nameMatches || !responseMatches) {
            throw failure(nameMatches ? "wrong CHAP response for user " + name : "unknown CHAP user " + name);
        }
        if (mutualIdentifier == null && mutualChallenge == null) {
            return List.of();
        }
        return answerMutualChallenge(mutualIdentifier, mutualChallenge);
    }

    private List<KeyValue> answerMutualChallenge(String identifierText, String challengeText)
            throws LoginRejectedException {
        if (identifierText == null || challengeText == null) {
            throw failure("mutual CHAP needs both CHAP_I and CHAP_C");
        }
        if (mutualCredentials.isEmpty()) {
            throw failure("initiator asked for mutual CHAP but the target has no mutual-chap credentials");
        }
        long initiatorIdentifier = NumericalValue.parseInRange(identifierText, 0, 255);
        if (initiatorIdentifier < 0) {
            throw failure("CHAP_I is not a number in [0, 255]");
        }
        byte[] initiatorChallenge = decodeBinary(TextKeys.CHAP_C, challengeText);
        // §12.1.3: an initiator reflecting our own challenge back could make us compute the answer it owes us.
        if (MessageDigest.isEqual(initiatorChallenge, challenge)) {
            throw failure("initiator reflected the target's CHAP challenge");
        }
        ChapCredentials mutual = mutualCredentials.get();
        byte[] answer = md5Response((int) initiatorIdentifier, mutual.secretBytes(), initiatorChallenge);
        return List.of(new KeyValue(TextKeys.CHAP_N, mutual.user()),
                new KeyValue(TextKeys.CHAP_R, BinaryValue.encodeHex(answer)));
    }

    private static byte[] decodeBinary(String key, String text) throws LoginRejectedException {
        byte[] bytes;
        try {
            bytes = BinaryValue.decode(text);
        } catch (IllegalArgumentException e) {
            throw failure(key + " is not a 0x/0b binary value");
        }
        if (bytes.length == 0 || bytes.length > MAX_CHALLENGE_LENGTH) {
            throw failure(key + " length " + bytes.length + " is outside [1, " + MAX_CHALLENGE_LENGTH + "]");
        }
        if (key.equals(TextKeys.CHAP_R) && bytes.length != MD5_LENGTH) {
            throw failure("CHAP_R is " + bytes.length + " bytes, an MD5 response is " + MD5_LENGTH);
        }
        return bytes;
    }

    /** RFC 1994 §4.1: Response = MD5(Identifier || secret || Challenge). */
    static byte[] md5Response(int identifier, byte[] secret, byte[] challenge) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update((byte) identifier);
            md5.update(secret);
            md5.update(challenge);
            return md5.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides MD5", e);
        }
    }

    private static LoginRejectedException failure(String reason) {
        return new LoginRejectedException(LoginStatus.AUTHENTICATION_FAILURE, reason);
    }
}
