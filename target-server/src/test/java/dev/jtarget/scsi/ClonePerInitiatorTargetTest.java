package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertSense;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.config.ClonePerInitiatorConfig;
import dev.jtarget.config.ImageConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Routing of sessions to their initiator's clone: shared per initiator name, opened once, closed after the last. */
class ClonePerInitiatorTargetTest {
    private static final String TARGET = Initiator.TARGET_NAME;
    private static final String ALPHA = "iqn.2026-11.dev.jtarget:alpha";
    private static final ClonePerInitiatorConfig CONFIG = new ClonePerInitiatorConfig(
            new ImageConfig("gold", Path.of("/images/gold.raw"), Luns.BLOCKS * Luns.BLOCK_SIZE, 0), Path.of("/clones"),
            Luns.BLOCKS * Luns.BLOCK_SIZE, ClonePerInitiatorConfig.OnLogout.KEEP, 0, true, Luns.BLOCK_SIZE);

    /** Clones in memory: records what was opened and which initiators' last sessions ended. */
    private static final class MemoryClones implements ClonePerInitiatorTarget.Clones {
        final List<String> opened = new CopyOnWriteArrayList<>();
        final List<String> ended = new CopyOnWriteArrayList<>();
        final Map<String, RecordingBackend> backends = new ConcurrentHashMap<>();
        volatile boolean failing;

        @Override
        public LogicalUnit open(String initiatorName) throws IOException {
            if (failing) {
                throw new IOException("no space left for a clone");
            }
            opened.add(initiatorName);
            RecordingBackend backend = new RecordingBackend();
            backends.put(initiatorName, backend);
            return LogicalUnit.createClone(TARGET, initiatorName, CONFIG, backend);
        }

        @Override
        public void lastSessionEnded(String initiatorName) {
            ended.add(initiatorName);
        }
    }

    private final MemoryClones clones = new MemoryClones();
    private final ClonePerInitiatorTarget target = new ClonePerInitiatorTarget(TARGET, 0, clones, Runnable::run);

    private static ItNexus nexus(String initiatorName, long isid) {
        return new ItNexus(initiatorName, isid, TARGET, 1);
    }

    /** A logged-in initiator past its power-on unit attention. */
    private Initiator login(ItNexus nexus) {
        target.nexusLoggedIn(nexus);
        Initiator initiator = new Initiator(target, nexus);
        initiator.command(0, Cdbs.testUnitReady());
        return initiator;
    }

    @Test
    void sessionsOfOneInitiatorNameShareOneCloneUntilTheLastLogsOut() {
        ItNexus first = nexus(ALPHA, 1);
        ItNexus second = nexus(ALPHA.toUpperCase(), 2); // iSCSI names compare case-insensitively
        Initiator one = login(first);
        Initiator two = login(second);
        assertEquals(List.of(ALPHA), clones.opened);
        byte[] data = Luns.pattern(Luns.BLOCK_SIZE, 7);
        assertGood(one.write(0, Cdbs.write10(3, 1), data));
        assertArrayEquals(data, two.read(0, Cdbs.read10(3, 1), Luns.BLOCK_SIZE).data());

        target.nexusLoggedOut(first);
        assertFalse(clones.backends.get(ALPHA).calls.contains("close"));
        assertEquals(List.of(), clones.ended);
        target.nexusLoggedOut(second);
        assertTrue(clones.backends.get(ALPHA).calls.contains("close"));
        assertEquals(List.of(ALPHA), clones.ended);

        login(nexus(ALPHA, 3));
        assertEquals(List.of(ALPHA, ALPHA), clones.opened, "a later login opens the clone again");
    }

    /** Logins and logouts of one initiator racing each other never have its clone open twice at the same time. */
    @Test
    void racingLoginsAndLogoutsOfOneInitiatorKeepAtMostOneCloneOpen() throws InterruptedException {
        AtomicInteger open = new AtomicInteger();
        AtomicInteger mostOpen = new AtomicInteger();
        ClonePerInitiatorTarget counted = new ClonePerInitiatorTarget(TARGET, 0, new ClonePerInitiatorTarget.Clones() {
            @Override
            public LogicalUnit open(String initiatorName) throws IOException {
                mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                return clones.open(initiatorName);
            }

            @Override
            public void lastSessionEnded(String initiatorName) {
                open.decrementAndGet(); // called after the clone was closed
                clones.lastSessionEnded(initiatorName);
            }
        }, Runnable::run);
        List<Thread> threads = new ArrayList<>();
        for (int session = 0; session < 8; session++) {
            ItNexus nexus = nexus(ALPHA, session);
            threads.add(Thread.ofPlatform().start(() -> {
                for (int round = 0; round < 200; round++) {
                    counted.nexusLoggedIn(nexus);
                    counted.nexusLoggedOut(nexus);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(1, mostOpen.get());
        assertEquals(0, open.get());
        assertEquals(clones.opened.size(), clones.ended.size(), "every clone opened was closed once");
    }

    /** Closing drains dirty data, which can take long: the thread that reports the logout must not wait for it. */
    @Test
    void theLastLogoutLeavesTheCloseToTheCloserAndALoginBeforeItKeepsTheClone() {
        List<Runnable> due = new ArrayList<>();
        ClonePerInitiatorTarget queued = new ClonePerInitiatorTarget(TARGET, 0, clones, due::add);
        ItNexus first = nexus(ALPHA, 1);
        queued.nexusLoggedIn(first);
        queued.nexusLoggedOut(first);
        assertFalse(clones.backends.get(ALPHA).calls.contains("close"), "the logout did not close the clone itself");
        assertEquals(1, due.size());

        queued.nexusLoggedIn(nexus(ALPHA, 2)); // back before the closer ran: the clone stays open
        due.forEach(Runnable::run);
        assertFalse(clones.backends.get(ALPHA).calls.contains("close"));
        assertEquals(List.of(ALPHA), clones.opened);

        queued.nexusLoggedOut(nexus(ALPHA, 2));
        due.get(1).run();
        assertTrue(clones.backends.get(ALPHA).calls.contains("close"));
        assertEquals(List.of(ALPHA), clones.ended);
    }

    @Test
    void initiatorsGetDisksAndIdentitiesOfTheirOwn() {
        Initiator alpha = login(nexus(ALPHA, 1));
        Initiator beta = login(nexus("iqn.2026-11.dev.jtarget:beta", 1));
        assertGood(alpha.write(0, Cdbs.write10(0, 1), Luns.filled(1, 0xa1)));
        assertArrayEquals(new byte[Luns.BLOCK_SIZE], beta.read(0, Cdbs.read10(0, 1), Luns.BLOCK_SIZE).data());
        byte[] alphaSerial = alpha.read(0, Cdbs.inquiry(true, 0x80, 255), 255).data();
        byte[] betaSerial = beta.read(0, Cdbs.inquiry(true, 0x80, 255), 255).data();
        assertNotEquals(new String(alphaSerial), new String(betaSerial));
        assertArrayEquals(alphaSerial, login(nexus(ALPHA, 2)).read(0, Cdbs.inquiry(true, 0x80, 255), 255).data(),
                "one initiator sees one serial number in every session");
    }

    @Test
    void anInitiatorWhoseCloneCannotBeOpenedSeesNoLunAndTheNextLoginRetries() {
        clones.failing = true;
        ItNexus nexus = nexus(ALPHA, 1);
        target.nexusLoggedIn(nexus);
        assertSense(new Initiator(target, nexus).command(0, Cdbs.testUnitReady()), Sense.ILLEGAL_REQUEST, 0x25, 0);
        target.nexusLoggedOut(nexus);
        assertEquals(List.of(), clones.ended, "nothing was opened, so nothing is reset");

        clones.failing = false;
        login(nexus(ALPHA, 2));
        assertEquals(List.of(ALPHA), clones.opened);
    }

    @Test
    void closingTheTargetClosesOpenClonesWithoutEndingSessions() {
        login(nexus(ALPHA, 1));
        target.close();
        assertTrue(clones.backends.get(ALPHA).calls.contains("close"));
        assertEquals(List.of(), clones.ended);
    }

    @Test
    void operationsOnACloneAreRefusedWhileItsInitiatorHasASession() throws IOException {
        ItNexus nexus = nexus(ALPHA, 1);
        login(nexus);
        assertTrue(target.hasSessions(ALPHA.toUpperCase()));
        ClonePerInitiatorTarget.CloneInUseException refused = assertThrows(
                ClonePerInitiatorTarget.CloneInUseException.class, () -> target.withoutSessions(ALPHA, () -> 1));
        assertEquals(ALPHA + " is logged in to " + TARGET + " (1 session(s)); its clone is in use",
                refused.getMessage());
        target.nexusLoggedOut(nexus);
        assertFalse(target.hasSessions(ALPHA));
        assertEquals(7, target.withoutSessions(ALPHA, () -> 7));
        assertEquals(List.of(ALPHA), clones.opened, "the operation opened nothing");
    }

    /** A clone whose close is queued is closed (dirty data written back) before the operation sees its file. */
    @Test
    void anOperationClosesACloneWhoseCloseIsStillQueued() throws IOException {
        List<Runnable> due = new ArrayList<>();
        ClonePerInitiatorTarget queued = new ClonePerInitiatorTarget(TARGET, 0, clones, due::add);
        ItNexus nexus = nexus(ALPHA, 1);
        queued.nexusLoggedIn(nexus);
        queued.nexusLoggedOut(nexus);
        boolean closedFirst = queued.withoutSessions(ALPHA, () -> clones.backends.get(ALPHA).calls.contains("close"));
        assertTrue(closedFirst);
        assertEquals(List.of(ALPHA), clones.ended);
        due.forEach(Runnable::run);
        assertEquals(List.of(ALPHA), clones.ended, "the queued close found nothing left to do");
    }

    /** While an operation works on the file, a login gets no LUN instead of opening it; the next login does. */
    @Test
    void aLoginDuringAnOperationSeesNoLunUntilItLogsInAgain() throws IOException {
        ItNexus during = nexus(ALPHA, 1);
        target.withoutSessions(ALPHA, () -> {
            target.nexusLoggedIn(during);
            assertThrows(ClonePerInitiatorTarget.CloneInUseException.class,
                    () -> target.withoutSessions(ALPHA, () -> 0));
            return null;
        });
        assertEquals(List.of(), clones.opened);
        assertSense(new Initiator(target, during).command(0, Cdbs.testUnitReady()), Sense.ILLEGAL_REQUEST, 0x25, 0);
        target.nexusLoggedOut(during);
        login(nexus(ALPHA, 2));
        assertEquals(List.of(ALPHA), clones.opened);
    }

    /** Operations racing logins and logouts of their initiator only ever run while its clone is closed. */
    @Test
    void operationsRacingLoginsNeverSeeTheCloneOpen() throws InterruptedException {
        AtomicInteger open = new AtomicInteger();
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger seenOpen = new AtomicInteger();
        ClonePerInitiatorTarget counted = new ClonePerInitiatorTarget(TARGET, 0, new ClonePerInitiatorTarget.Clones() {
            @Override
            public LogicalUnit open(String initiatorName) throws IOException {
                open.incrementAndGet();
                return clones.open(initiatorName);
            }

            @Override
            public void lastSessionEnded(String initiatorName) {
                open.decrementAndGet(); // called after the clone was closed
            }
        }, Runnable::run);
        List<Thread> threads = new ArrayList<>();
        for (int session = 0; session < 4; session++) {
            ItNexus nexus = nexus(ALPHA, session);
            threads.add(Thread.ofPlatform().start(() -> {
                for (int round = 0; round < 200; round++) {
                    counted.nexusLoggedIn(nexus);
                    counted.nexusLoggedOut(nexus);
                }
            }));
        }
        Thread operations = Thread.ofPlatform().start(() -> {
            while (threads.stream().anyMatch(Thread::isAlive)) {
                try {
                    counted.withoutSessions(ALPHA, () -> {
                        if (open.get() != 0) {
                            seenOpen.incrementAndGet();
                        }
                        return ran.incrementAndGet();
                    });
                } catch (ClonePerInitiatorTarget.CloneInUseException e) {
                    Thread.onSpinWait(); // a session is in; try again
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        });
        for (Thread thread : threads) {
            thread.join();
        }
        operations.join();
        assertTrue(ran.get() > 0, "no operation found the clone closed");
        assertEquals(0, seenOpen.get(), "operations that saw the clone open, of " + ran.get());
        assertEquals(0, open.get(), "every clone opened was closed");
        assertFalse(counted.hasSessions(ALPHA));
    }
}
