package dev.jtarget.config;

import java.util.List;
import java.util.Optional;

/**
 * One iSCSI target.
 *
 * @param chap           when present, initiators must authenticate with CHAP as this user
 * @param mutualChap     when present, the target authenticates back to the initiator with these credentials
 * @param allowedInitiators initiator-name patterns ({@code *} matches any run of characters); empty = anyone
 * @param luns           the LUNs every initiator sees; empty when {@code clones} is present
 * @param clones         when present, the target's one LUN is a copy-on-write disk per initiator name instead
 */
public record TargetConfig(String name, String alias, Optional<ChapCredentials> chap,
                           Optional<ChapCredentials> mutualChap, List<String> allowedInitiators,
                           List<LunConfig> luns, Optional<ClonePerInitiatorConfig> clones) {

    /** A target with ordinary LUNs only. */
    public TargetConfig(String name, String alias, Optional<ChapCredentials> chap,
                        Optional<ChapCredentials> mutualChap, List<String> allowedInitiators, List<LunConfig> luns) {
        this(name, alias, chap, mutualChap, allowedInitiators, luns, Optional.empty());
    }

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
