package dev.jtarget.config;

import java.util.List;
import java.util.Optional;

/**
 * One iSCSI target.
 *
 * @param chap           when present, initiators must authenticate with CHAP as this user
 * @param mutualChap     when present, the target authenticates back to the initiator with these credentials
 * @param allowedInitiators initiator-name patterns ({@code *} matches any run of characters); empty = anyone
 */
public record TargetConfig(String name, String alias, Optional<ChapCredentials> chap,
                           Optional<ChapCredentials> mutualChap, List<String> allowedInitiators,
                           List<LunConfig> luns) {

    /** True when {@code initiatorName} may log in to and discover this target. */
    public boolean allows(String initiatorName) {
        if (allowedInitiators.isEmpty()) {
            return true;
        }
        for (String pattern : allowedInitiators) {
            if (InitiatorPattern.matches(pattern, initiatorName)) {
                return true;
            }
        }
        return false;
    }
}
