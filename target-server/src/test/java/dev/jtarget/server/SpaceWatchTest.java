package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.config.ClonePerInitiatorConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Promises against a filesystem of 1000 MiB whose free space the test sets, and the soft threshold crossings. */
class SpaceWatchTest {
    private static final long MIB = 1 << 20;
    private final FakeStore store = new FakeStore(1000 * MIB);

    private SpaceWatch watch(long reserve) throws Exception {
        return new SpaceWatch(Path.of("clones"), store, new ClonePerInitiatorConfig.Space(90, reserve));
    }

    @Test
    void promisesAreGrantedUntilOnlyTheReserveIsLeftAndAgainWhenSpaceComesBack() throws Exception {
        store.free = 300 * MIB;
        SpaceWatch watch = watch(100 * MIB);
        try (SpaceWatch.Registration clone = watch.register("alpha")) {
            assertTrue(clone.promise(150 * MIB));
            assertTrue(clone.promise(50 * MIB));
            assertFalse(clone.promise(1), "300 free - 200 promised leaves only the reserve");

            clone.allocated(64 * MIB, 50 * MIB); // the overlay took 64 MiB, 50 of them promised
            store.free -= 64 * MIB;
            assertFalse(clone.promise(1));
            clone.cancel(150 * MIB); // that write was discarded before it reached the overlay
            assertTrue(clone.promise(136 * MIB));
            assertFalse(clone.promise(1));

            store.free = 900 * MIB; // an operator deleted files: the next refusal samples and sees it
            assertTrue(clone.promise(1));
        }
    }

    @Test
    void theAutomaticReserveIsOnePercentOfTheFilesystem() throws Exception {
        assertEquals(10 * MIB, watch(ClonePerInitiatorConfig.Space.AUTOMATIC_RESERVE).reserve());
        store.total = 10 * MIB;
        assertEquals(MIB, watch(ClonePerInitiatorConfig.Space.AUTOMATIC_RESERVE).reserve());
    }

    @Test
    void theSoftThresholdIsToldOncePerCrossingToEveryCloneAndToClonesOpenedAboveIt() throws Exception {
        store.free = 500 * MIB;
        SpaceWatch watch = watch(10 * MIB);
        List<String> told = new CopyOnWriteArrayList<>(); // the sampler thread may be the one to tell
        try (SpaceWatch.Registration alpha = watch.register("alpha");
             SpaceWatch.Registration beta = watch.register("beta")) {
            alpha.onSoftThreshold(reached -> told.add("alpha " + reached));
            beta.onSoftThreshold(reached -> told.add("beta " + reached));
            watch.sample();
            assertEquals(List.of(), told);

            assertTrue(alpha.promise(400 * MIB)); // 50% used + 40% promised
            watch.sample();
            watch.sample();
            assertEquals(List.of("alpha true", "beta true"), sorted(told));

            alpha.allocated(400 * MIB, 400 * MIB);
            store.free = 95 * MIB; // the allocation is sampled now: still 90.5% used
            watch.sample();
            assertEquals(2, told.size());
            store.free = 105 * MIB; // 89.5%: within the re-arm margin
            watch.sample();
            assertEquals(2, told.size());
            store.free = 200 * MIB;
            watch.sample();
            assertEquals(List.of("alpha false", "alpha true", "beta false", "beta true"), sorted(told));

            store.free = 50 * MIB;
            watch.sample();
            assertEquals(6, told.size());
            try (SpaceWatch.Registration gamma = watch.register("gamma")) {
                gamma.onSoftThreshold(reached -> told.add("gamma " + reached));
                assertEquals("gamma true", told.getLast());
            }
        }
    }

    private static List<String> sorted(List<String> told) {
        return told.stream().sorted().toList();
    }
}
