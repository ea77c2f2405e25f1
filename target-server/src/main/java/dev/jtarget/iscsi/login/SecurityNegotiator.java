package dev.jtarget.iscsi.login;

import dev.jtarget.config.ChapCredentials;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The SecurityNegotiation stage of one login (RFC 7143 §6.3.1, §12.1): AuthMethod selection, then the CHAP exchange
 * when the target is configured with CHAP credentials.
 *
 * <p>The exchange is AuthMethod -> (CHAP_A -> CHAP_A/I/C) -> (CHAP_N/R[/I/C] -> [CHAP_N/R]). Any step out of this
 * order, and any failed check, ends the login with Authentication failure (0x0201).
 */
final class SecurityNegotiator {
    private enum State { AWAITING_AUTH_METHOD, AWAITING_CHAP_ALGORITHM, AWAITING_CHAP_RESPONSE, AUTHENTICATED }

    private final Optional<ChapCredentials> chap;
    private final Optional<ChapCredentials> mutualChap;
    private final SecureRandom random;
    private State state = State.AWAITING_AUTH_METHOD;
    private ChapAuthenticator authenticator;

    /** @param chap empty when the target (or a discovery session) requires no authentication */
    SecurityNegotiator(Optional<ChapCredentials> chap, Optional<ChapCredentials> mutualChap, SecureRandom random) {
        this.chap = chap;
        this.mutualChap = mutualChap;
        this.random = random;
    }

    boolean authenticationRequired() {
        return chap.isPresent();
    }

    /** Handles the security keys of one Login Request and appends our answers. */
    void negotiate(Map<String, String> keys, List<KeyValue> answers) throws LoginRejectedException {
        String authMethod = keys.get(TextKeys.AUTH_METHOD);
        if (authMethod != null) {
            answers.add(new KeyValue(TextKeys.AUTH_METHOD, selectAuthMethod(authMethod)));
        }
        String algorithms = keys.get(TextKeys.CHAP_A);
        if (algorithms != null) {
            requireState(State.AWAITING_CHAP_ALGORITHM, TextKeys.CHAP_A);
            if (!offersMd5(algorithms)) {
                throw failure("initiator offers CHAP_A=" + algorithms + ", the target supports only MD5 (5)");
            }
            authenticator = new ChapAuthenticator(chap.orElseThrow(), mutualChap, random);
            answers.addAll(authenticator.challengeKeys());
            state = State.AWAITING_CHAP_RESPONSE;
        }
        String name = keys.get(TextKeys.CHAP_N);
        String response = keys.get(TextKeys.CHAP_R);
        if (name != null || response != null) {
            requireState(State.AWAITING_CHAP_RESPONSE, name != null ? TextKeys.CHAP_N : TextKeys.CHAP_R);
            if (name == null || response == null) {
                throw failure("CHAP response needs both CHAP_N and CHAP_R");
            }
            answers.addAll(authenticator.authenticate(name, response, keys.get(TextKeys.CHAP_I),
                    keys.get(TextKeys.CHAP_C)));
            state = State.AUTHENTICATED;
        } else if (keys.containsKey(TextKeys.CHAP_I) || keys.containsKey(TextKeys.CHAP_C)) {
            throw failure("CHAP_I/CHAP_C sent without CHAP_N/CHAP_R");
        }
    }

    /**
     * Whether we agree to leave the security stage now that the initiator asks to (T=1). False while the CHAP
     * exchange is still under way; throws when the initiator tries to leave a target that requires CHAP without
     * having started the exchange, which it could never finish from there.
     */
    boolean mayTransit() throws LoginRejectedException {
        return switch (state) {
            case AUTHENTICATED -> true;
            case AWAITING_AUTH_METHOD -> {
                if (chap.isPresent()) {
                    throw failure("initiator tried to leave security negotiation without authenticating");
                }
                yield true;
            }
            case AWAITING_CHAP_ALGORITHM, AWAITING_CHAP_RESPONSE -> false;
        };
    }

    /**
     * §6.2.1 list negotiation: the first value of the initiator's list that we accept. A CHAP target accepts only
     * CHAP; a target without CHAP accepts only None. No acceptable value fails the login: the initiator would
     * otherwise be left with AuthMethod=Reject and nothing to continue with.
     */
    private String selectAuthMethod(String offered) throws LoginRejectedException {
        requireState(State.AWAITING_AUTH_METHOD, TextKeys.AUTH_METHOD);
        String wanted = chap.isPresent() ? TextKeys.CHAP : TextKeys.NONE;
        if (!Arrays.asList(offered.split(",", -1)).contains(wanted)) {
            throw failure("initiator offers AuthMethod=" + offered + ", the target requires " + wanted);
        }
        state = chap.isPresent() ? State.AWAITING_CHAP_ALGORITHM : State.AUTHENTICATED;
        return wanted;
    }

    private static boolean offersMd5(String algorithms) {
        for (String algorithm : algorithms.split(",", -1)) {
            if (NumericalValue.parseInRange(algorithm, 0, 255) == ChapAuthenticator.ALGORITHM_MD5) {
                return true;
            }
        }
        return false;
    }

    private void requireState(State expected, String key) throws LoginRejectedException {
        if (state != expected) {
            throw failure(key + " out of sequence (security negotiation is " + state + ")");
        }
    }

    private static LoginRejectedException failure(String reason) {
        return new LoginRejectedException(LoginStatus.AUTHENTICATION_FAILURE, reason);
    }
}
