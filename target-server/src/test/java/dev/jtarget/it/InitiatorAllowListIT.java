package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code <allow initiator=...>}: only listed initiators may log in to a target or learn of it through discovery. */
@Tag("integration")
class InitiatorAllowListIT {
    private static final String ALLOWED = "iqn.2026-11.dev.jtarget.it:allowed-initiator";
    private static final String STRANGER = "iqn.2026-11.dev.jtarget.it:stranger";
    private static final TargetSpec RESTRICTED = TargetSpec.named("iqn.2026-11.dev.jtarget:it.restricted")
            .withLun(0, mib(16))
            .allowing(ALLOWED);
    private static final TargetSpec OPEN = TargetSpec.named("iqn.2026-11.dev.jtarget:it.open").withLun(0, mib(16));
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);

    private static TargetUnderTest target;

    @BeforeAll
    static void startTarget(@TempDir Path workDir) {
        Tools.require("iscsi-ls", "iscsi-inq");
        target = TargetUnderTest.start("allow-list", workDir, List.of(RESTRICTED, OPEN));
    }

    @AfterAll
    static void stopTarget() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void allowedInitiatorLogsIn() {
        Tools.Result inquiry = target.assertSucceeded(inquiryAs(ALLOWED));

        assertEquals("DIRECT_ACCESS", inquiry.find("^Peripheral Device Type:(\\S+)"));
    }

    /** RFC 7143 §11.13.5: status 0x0202, "the initiator is not allowed access to the given target". */
    @Test
    void initiatorOutsideTheAllowListIsRefusedAsNotAuthorized() {
        Tools.Result login = inquiryAs(STRANGER);

        assertFalse(login.timedOut(), login.describe());
        assertFalse(login.succeeded(), "login should have been refused: " + login.describe());
        assertTrue(login.output().contains("Authorization failure"), login.describe()
                + "\n--- target log tail ---\n" + target.logTail(20));
    }

    @Test
    void discoveryShowsTheRestrictedTargetOnlyToAllowedInitiators() {
        assertEquals(Set.of(RESTRICTED.name(), OPEN.name()), discoveredBy(ALLOWED));
        assertEquals(Set.of(OPEN.name()), discoveredBy(STRANGER));
    }

    private static Set<String> discoveredBy(String initiator) {
        Tools.Result listing = target.assertSucceeded(Tools.command(
                "iscsi-ls", "-i", initiator, IscsiUrl.portalUrl(target.portal())).timeout(TOOL_TIMEOUT).run());
        return listing.findAll("^Target:(\\S+) Portal:").stream().collect(Collectors.toSet());
    }

    private static Tools.Result inquiryAs(String initiator) {
        return Tools.command("iscsi-inq", "-i", initiator, target.url(RESTRICTED, 0).toString())
                .timeout(TOOL_TIMEOUT).run();
    }
}
