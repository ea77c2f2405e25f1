package dev.jtarget.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Exclusive locks on LBA ranges of one logical unit, granted asynchronously so no thread ever waits. Every command
 * that modifies blocks holds the lock for its range while it runs; that makes COMPARE AND WRITE's read-compare-write
 * atomic against other writers of the same blocks (SBC-3 §5.2). Reads do not lock.
 *
 * <p>Fair: a request is granted when no earlier request (granted or still waiting) overlaps it, so a stream of
 * overlapping writers cannot starve a waiter, while writers of disjoint ranges never wait for each other.
 */
final class LbaRangeLocks {

    /** A granted lock; release it exactly once when the command is done with the blocks. */
    final class Lease {
        private final long first;
        private final long end;
        private final CompletableFuture<Lease> granted = new CompletableFuture<>();
        private boolean waiting = true;

        private Lease(long first, long end) {
            this.first = first;
            this.end = end;
        }

        private boolean overlaps(Lease other) {
            return first < other.end && other.first < end;
        }

        void release() {
            LbaRangeLocks.this.release(this);
        }
    }

    /**
     * Granted and waiting leases in arrival order. A plain list scanned without iterators or streams: it holds at most
     * the commands in flight on the unit, and this runs twice for every write.
     */
    private final ArrayList<Lease> queue = new ArrayList<>();

    /** Locks blocks {@code [lba, lba + blocks)}; the future completes when the lock is held. */
    CompletableFuture<Lease> acquire(long lba, long blocks) {
        Lease lease = new Lease(lba, lba + blocks);
        boolean grantNow;
        synchronized (this) {
            grantNow = !overlapsAnyBefore(lease, queue.size());
            lease.waiting = !grantNow;
            queue.add(lease);
        }
        if (grantNow) {
            lease.granted.complete(lease);
        }
        return lease.granted;
    }

    private void release(Lease lease) {
        List<Lease> nowGranted = null;
        synchronized (this) {
            int index = queue.indexOf(lease);
            if (index < 0) {
                return;
            }
            queue.remove(index);
            // Only leases behind the released one can have been waiting for it.
            for (int i = index; i < queue.size(); i++) {
                Lease candidate = queue.get(i);
                if (candidate.waiting && !overlapsAnyBefore(candidate, i)) {
                    candidate.waiting = false;
                    if (nowGranted == null) {
                        nowGranted = new ArrayList<>(2);
                    }
                    nowGranted.add(candidate);
                }
            }
        }
        // Completing outside the lock: the new holders run their I/O on this thread.
        if (nowGranted != null) {
            for (Lease granted : nowGranted) {
                granted.granted.complete(granted);
            }
        }
    }

    /** Whether any of the first {@code count} leases in the queue (granted or waiting) overlaps {@code lease}. */
    private boolean overlapsAnyBefore(Lease lease, int count) {
        for (int i = 0; i < count; i++) {
            if (queue.get(i).overlaps(lease)) {
                return true;
            }
        }
        return false;
    }

    /** Number of locks held or waited for, for tests. */
    synchronized int size() {
        return queue.size();
    }
}
