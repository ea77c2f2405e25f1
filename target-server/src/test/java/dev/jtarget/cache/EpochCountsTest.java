package dev.jtarget.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EpochCountsTest {

    @Test
    void oldestIsTheOldestEpochWithDirtyPagesLeft() {
        EpochCounts counts = new EpochCounts();
        assertEquals(Long.MAX_VALUE, counts.oldest());
        counts.increment(3);
        counts.increment(3);
        counts.increment(5);
        counts.increment(8);

        counts.decrement(5);
        assertEquals(3, counts.oldest(), "an emptied middle epoch does not matter");
        counts.decrement(3);
        counts.decrement(3);
        assertEquals(8, counts.oldest());
        counts.decrement(8);
        assertEquals(Long.MAX_VALUE, counts.oldest());
    }

    @Test
    void manyEpochsBehindAPinnedOldOneStayCounted() {
        EpochCounts counts = new EpochCounts();
        counts.increment(1); // say a page whose write-back keeps failing
        for (long epoch = 2; epoch < 10_000; epoch++) {
            counts.increment(epoch);
            counts.decrement(epoch);
        }
        counts.increment(10_000);

        assertEquals(1, counts.oldest());
        counts.decrement(1);
        assertEquals(10_000, counts.oldest());
    }

    @Test
    void joiningAnOlderEpochThanTheNewestIsABug() {
        EpochCounts counts = new EpochCounts();
        counts.increment(4);
        assertThrows(IllegalStateException.class, () -> counts.increment(2));
    }
}
