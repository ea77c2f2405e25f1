package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.config.ChapCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CHAP (RFC 7143 §12.1.3), one-way and mutual, as libiscsi performs it. */
@Tag("integration")
class ChapAuthenticationIT {
    private static final ChapCredentials INITIATOR = new ChapCredentials("it-initiator", "initiator-secret-1234");
    private static final ChapCredentials TARGET = new ChapCredentials("it-target", "target-secret-5678");
    private static final TargetSpec CHAP = TargetSpec.named("iqn.2026-11.dev.jtarget:it.chap")
            .withLun(0, mib(16))
            .withChap(INITIATOR.user(), INITIATOR.secret());
    private static final TargetSpec MUTUAL = TargetSpec.named("iqn.2026-11.dev.jtarget:it.mutual-chap")
            .withLun(0, mib(16))
            .withChap(INITIATOR.user(), INITIATOR.secret())
            .withMutualChap(TARGET.user(), TARGET.secret());
    private static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(30);

    private static TargetUnderTest target;

    @BeforeAll
    static void startTarget(@TempDir Path workDir) {
        Tools.require("iscsi-inq");
        target = TargetUnderTest.start("chap", workDir, List.of(CHAP, MUTUAL));
    }

    @AfterAll
    static void stopTarget() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void rightSecretLogsIn() {
        Tools.Result inquiry = target.assertSucceeded(inquiry(target.url(CHAP, 0).withChap(INITIATOR)));

        assertEquals("DIRECT_ACCESS", inquiry.find("^Peripheral Device Type:(\\S+)"));
    }

    @Test
    void wrongSecretIsRefusedWithAuthenticationFailure() {
        ChapCredentials wrong = new ChapCredentials(INITIATOR.user(), "not-the-secret-0000");

        assertRefusedWith("Authentication failure", inquiry(target.url(CHAP, 0).withChap(wrong)));
    }

    @Test
    void loginWithoutCredentialsIsRefusedWithAuthenticationFailure() {
        assertRefusedWith("Authentication failure", inquiry(target.url(CHAP, 0)));
    }

    @Test
    void mutualChapLogsInWhenTheTargetProvesItKnowsItsSecret() {
        IscsiUrl url = target.url(MUTUAL, 0).withChap(INITIATOR).withTargetChap(TARGET);

        Tools.Result inquiry = target.assertSucceeded(inquiry(url));

        assertEquals("DIRECT_ACCESS", inquiry.find("^Peripheral Device Type:(\\S+)"));
    }

    /** The counterpart of the test above: libiscsi really checks the target's CHAP_R, so that success counts. */
    @Test
    void initiatorExpectingAnotherTargetSecretRejectsTheTargetsResponse() {
        ChapCredentials otherTarget = new ChapCredentials(TARGET.user(), "some-other-secret-99");
        IscsiUrl url = target.url(MUTUAL, 0).withChap(INITIATOR).withTargetChap(otherTarget);

        assertRefusedWith("Invalid CHAP_R response from the target", inquiry(url));
    }

    @Test
    void secretsNeverAppearInTheTargetLog() {
        inquiry(target.url(MUTUAL, 0).withChap(INITIATOR).withTargetChap(TARGET));
        inquiry(target.url(CHAP, 0).withChap(new ChapCredentials(INITIATOR.user(), "not-the-secret-0000")));

        String log = target.logTail(Integer.MAX_VALUE);
        for (String secret : List.of(INITIATOR.secret(), TARGET.secret(), "not-the-secret-0000")) {
            assertFalse(log.contains(secret), "the target log contains a CHAP secret");
        }
    }

    private static void assertRefusedWith(String reason, Tools.Result login) {
        assertFalse(login.timedOut(), login.describe());
        assertFalse(login.succeeded(), "login should have been refused: " + login.describe());
        assertTrue(login.output().contains(reason), "expected \"" + reason + "\" in " + login.describe()
                + "\n--- target log tail ---\n" + target.logTail(20));
    }

    private static Tools.Result inquiry(IscsiUrl url) {
        return Tools.command("iscsi-inq", url.toString()).timeout(LOGIN_TIMEOUT).run();
    }
}
