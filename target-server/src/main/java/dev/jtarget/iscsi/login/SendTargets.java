package dev.jtarget.iscsi.login;

import dev.jtarget.config.TargetConfig;

import java.util.List;

/**
 * Answers a SendTargets key (RFC 7143 Appendix C, originally RFC 3720 Appendix D): a TargetName record, followed by
 * one TargetAddress per portal, for each target the initiator may see.
 */
final class SendTargets {
    static final String ALL = "All";

    private SendTargets() {
    }

    static void answer(String value, SessionParameters session, LoginContext context, List<KeyValue> answers) {
        List<TargetConfig> targets;
        if (value.equals(ALL)) {
            // "All" MUST be supported in discovery sessions and MUST NOT be in normal ones.
            if (session.sessionType() != SessionType.DISCOVERY) {
                answers.add(new KeyValue(TextKeys.SEND_TARGETS, TextKeys.REJECT));
                return;
            }
            targets = context.targets().stream().filter(target -> target.allows(session.initiatorName())).toList();
        } else if (value.isEmpty()) {
            // No value: the target this (normal) session is logged in to; a discovery session has none.
            targets = named(session.targetName(), context);
        } else {
            targets = named(value, context).stream()
                    .filter(target -> target.allows(session.initiatorName()))
                    .toList();
        }
        for (TargetConfig target : targets) {
            answers.add(new KeyValue(TextKeys.TARGET_NAME, target.name()));
            for (String address : context.sendTargetsAddresses()) {
                answers.add(new KeyValue(TextKeys.TARGET_ADDRESS, address));
            }
        }
    }

    private static List<TargetConfig> named(String name, LoginContext context) {
        if (name.isEmpty()) {
            return List.of();
        }
        return context.targets().stream().filter(target -> target.name().equalsIgnoreCase(name)).toList();
    }
}
