package dev.jtarget.iscsi.login;

import dev.jtarget.config.ChapCredentials;
import dev.jtarget.config.TargetConfig;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who logs in to what, from the keys of the first Login Request (RFC 7143 §6.3: InitiatorName always, TargetName
 * unless SessionType=Discovery), checked against the configuration.
 *
 * @param target empty for a discovery session
 */
record LoginIdentity(SessionType sessionType, String initiatorName, Optional<TargetConfig> target) {

    String targetName() {
        return target.map(TargetConfig::name).orElse("");
    }

    Optional<ChapCredentials> chap() {
        return target.flatMap(TargetConfig::chap);
    }

    Optional<ChapCredentials> mutualChap() {
        return target.flatMap(TargetConfig::mutualChap);
    }

    /** Resolves the identity keys of the first request against the configured targets. */
    static LoginIdentity resolve(Map<String, String> keys, List<TargetConfig> targets)
            throws LoginRejectedException {
        String initiatorName = keys.get(TextKeys.INITIATOR_NAME);
        if (initiatorName == null || initiatorName.isEmpty()) {
            throw new LoginRejectedException(LoginStatus.MISSING_PARAMETER, "no InitiatorName in first request");
        }
        SessionType sessionType = sessionType(keys.getOrDefault(TextKeys.SESSION_TYPE, "Normal"));
        if (sessionType == SessionType.DISCOVERY) {
            // A discovery session is not bound to a target; a TargetName sent anyway plays no part.
            return new LoginIdentity(sessionType, initiatorName, Optional.empty());
        }
        String targetName = keys.get(TextKeys.TARGET_NAME);
        if (targetName == null || targetName.isEmpty()) {
            throw new LoginRejectedException(LoginStatus.MISSING_PARAMETER, "no TargetName for a normal session");
        }
        // iSCSI names are compared after case folding (RFC 3722), so the lookup ignores case.
        TargetConfig target = targets.stream()
                .filter(candidate -> candidate.name().equalsIgnoreCase(targetName))
                .findFirst()
                .orElseThrow(() -> new LoginRejectedException(LoginStatus.NOT_FOUND, "no such target"));
        if (!target.allows(initiatorName)) {
            throw new LoginRejectedException(LoginStatus.AUTHORIZATION_FAILURE,
                    "initiator is not in the target's allowed initiators");
        }
        return new LoginIdentity(sessionType, initiatorName, Optional.of(target));
    }

    private static SessionType sessionType(String value) throws LoginRejectedException {
        return switch (value) {
            case "Normal" -> SessionType.NORMAL;
            case "Discovery" -> SessionType.DISCOVERY;
            default -> throw new LoginRejectedException(LoginStatus.SESSION_TYPE_NOT_SUPPORTED,
                    "SessionType=" + value);
        };
    }
}
