package dev.jtarget.scsi;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedList;
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

    private final List<Lease> queue = new LinkedList<>(); // granted and waiting, in arrival order

    /** Locks blocks {@code [lba, lba + blocks)}; the future completes when the lock is held. */
    CompletableFuture<Lease> acquire(long lba, long blocks) {
        Lease lease = new Lease(lba, lba + blocks);
        boolean grantNow;
        synchronized (this) {
            grantNow = queue.stream().noneMatch(lease::overlaps);
            lease.waiting = !grantNow;
            queue.add(lease);
        }
        if (grantNow) {
            lease.granted.complete(lease);
        }
        return lease.granted;
    }

    private void release(Lease lease) {
        List<Lease> nowGranted = new ArrayList<>();
        synchronized (this) {
            if (!queue.remove(lease)) {
                return;
            }
            List<Lease> ahead = new ArrayList<>();
            for (Iterator<Lease> it = queue.iterator(); it.hasNext(); ) {
                Lease candidate = it.next();
                if (candidate.waiting && ahead.stream().noneMatch(candidate::overlaps)) {
                    candidate.waiting = false;
                    nowGranted.add(candidate);
                }
                ahead.add(candidate);
            }
        }
        // Completing outside the lock: the new holders run their I/O on this thread.
        nowGranted.forEach(granted -> granted.granted.complete(granted));
    }

    /** Number of locks held or waited for, for tests. */
    synchronized int size() {
        return queue.size();
    }
}
