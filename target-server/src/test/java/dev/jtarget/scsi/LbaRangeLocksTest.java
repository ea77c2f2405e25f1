package dev.jtarget.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class LbaRangeLocksTest {
    private final LbaRangeLocks locks = new LbaRangeLocks();

    @Test
    void disjointRangesAreGrantedAtOnce() {
        assertTrue(locks.acquire(0, 8).isDone());
        assertTrue(locks.acquire(8, 8).isDone());
    }

    @Test
    void anOverlappingRangeWaitsForTheRelease() {
        LbaRangeLocks.Lease first = locks.acquire(0, 8).join();
        CompletableFuture<LbaRangeLocks.Lease> second = locks.acquire(7, 2);
        assertFalse(second.isDone());
        first.release();
        assertTrue(second.isDone());
        second.join().release();
        assertEquals(0, locks.size());
    }

    @Test
    void aLaterRequestDoesNotOvertakeAnEarlierOverlappingWaiter() {
        LbaRangeLocks.Lease first = locks.acquire(0, 4).join();
        CompletableFuture<LbaRangeLocks.Lease> wide = locks.acquire(0, 16);
        CompletableFuture<LbaRangeLocks.Lease> late = locks.acquire(10, 1);
        assertFalse(wide.isDone());
        assertFalse(late.isDone(), "it overlaps the earlier waiter, so it queues behind it");
        first.release();
        assertTrue(wide.isDone());
        assertFalse(late.isDone());
        wide.join().release();
        assertTrue(late.isDone());
    }

    @Test
    void releasingTwiceIsHarmless() {
        LbaRangeLocks.Lease lease = locks.acquire(0, 1).join();
        lease.release();
        lease.release();
        assertEquals(0, locks.size());
    }

    @Test
    void readsShareWithReadsAndWritesButNotWithAnAtomicWrite() {
        LbaRangeLocks.Lease read = locks.acquire(0, 8, LbaRangeLocks.Mode.READ).join();
        assertTrue(locks.acquire(0, 8, LbaRangeLocks.Mode.READ).isDone());
        assertTrue(locks.acquire(4, 8).isDone(), "an ordinary write does not wait for readers");
        CompletableFuture<LbaRangeLocks.Lease> atomic = locks.acquire(6, 8, LbaRangeLocks.Mode.ATOMIC_WRITE);
        assertFalse(atomic.isDone());
        CompletableFuture<LbaRangeLocks.Lease> laterRead = locks.acquire(12, 1, LbaRangeLocks.Mode.READ);
        assertFalse(laterRead.isDone(), "a read queues behind an earlier overlapping atomic write");
        assertTrue(locks.acquire(14, 1, LbaRangeLocks.Mode.READ).isDone(), "disjoint from the atomic write");
    }
}
