package dev.jtarget.iscsi.login;

import dev.jtarget.config.ChapCredentials;
import dev.jtarget.config.TargetConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A session layer stand-in: fixed targets and portals, and a record of what was admitted. */
final class FakeLoginContext implements LoginContext {
    static final String OPEN_TARGET = "iqn.2025-01.dev.jtarget:open";
    static final String CHAP_TARGET = "iqn.2025-01.dev.jtarget:chap";
    static final String MUTUAL_TARGET = "iqn.2025-01.dev.jtarget:mutual";
    static final String RESTRICTED_TARGET = "iqn.2025-01.dev.jtarget:restricted";
    static final String INITIATOR = "iqn.1994-05.com.redhat:client1";
    static final ChapCredentials CHAP = new ChapCredentials("client1", "initiator-secret-1");
    static final ChapCredentials MUTUAL = new ChapCredentials("target1", "target-secret-22");
    static final int ASSIGNED_TSIH = 0x0042;

    final List<SessionParameters> admitted = new ArrayList<>();
    final List<Integer> requestedTsihs = new ArrayList<>();
    LoginRejectedException admitFailure;
    List<String> addresses = List.of("127.0.0.1:3260,1", "[::1]:3260,1");

    private final List<TargetConfig> targets = List.of(
            target(OPEN_TARGET, "Open Disk", Optional.empty(), Optional.empty(), List.of()),
            target(CHAP_TARGET, "", Optional.of(CHAP), Optional.empty(), List.of()),
            target(MUTUAL_TARGET, null, Optional.of(CHAP), Optional.of(MUTUAL), List.of()),
            target(RESTRICTED_TARGET, "", Optional.empty(), Optional.empty(), List.of("iqn.2000-01.com.other:*")));

    static TargetConfig target(String name, String alias, Optional<ChapCredentials> chap,
                               Optional<ChapCredentials> mutual, List<String> allowed) {
        return new TargetConfig(name, alias, chap, mutual, allowed, List.of());
    }

    @Override
    public List<TargetConfig> targets() {
        return targets;
    }

    @Override
    public int targetPortalGroupTag() {
        return 1;
    }

    @Override
    public List<String> sendTargetsAddresses() {
        return addresses;
    }

    @Override
    public String remoteAddress() {
        return "127.0.0.1:51234";
    }

    @Override
    public int admit(SessionParameters parameters, int requestedTsih) throws LoginRejectedException {
        if (admitFailure != null) {
            throw admitFailure;
        }
        admitted.add(parameters);
        requestedTsihs.add(requestedTsih);
        return requestedTsih == 0 ? ASSIGNED_TSIH : requestedTsih;
    }
}
