package dev.jtarget.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Locks on LBA ranges of one logical unit, granted asynchronously so no thread ever waits. Every command that modifies
 * blocks holds a {@link Mode#WRITE} lock for its range while it runs; that makes COMPARE AND WRITE's
 * read-compare-write atomic against other writers of the same blocks (SBC-3 §5.2). READ commands hold a
 * {@link Mode#READ} lock, which only an {@link Mode#ATOMIC_WRITE} excludes: a read may see an ordinary write half
 * done (SBC-3 promises nothing else), but never a WRITE ATOMIC half done (SBC-4 §4.29.3: a read overlapping an atomic
 * write returns all old or all new data).
 *
 * <p>Fair: a request is granted when no earlier conflicting request (granted or still waiting) overlaps it, so a
 * stream of overlapping writers cannot starve a waiter, while writers of disjoint ranges never wait for each other.
 */
final class LbaRangeLocks {

    /** What the holder does with the blocks, which decides whom it excludes. */
    enum Mode {
        /** Reads; excluded only by atomic writes. */
        READ,
        /** Modifies the blocks; excludes every other writer. */
        WRITE,
        /** Writes the blocks as one atomic write operation; excludes everyone. */
        ATOMIC_WRITE;

        boolean conflictsWith(Mode other) {
            if (this == READ || other == READ) {
                return this == ATOMIC_WRITE || other == ATOMIC_WRITE;
            }
            return true;
        }
    }

    /** A granted lock; release it exactly once when the command is done with the blocks. */
    final class Lease {
        private final long first;
        private final long end;
        private final Mode mode;
        private final CompletableFuture<Lease> granted = new CompletableFuture<>();
        private boolean waiting = true;

        private Lease(long first, long end, Mode mode) {
            this.first = first;
            this.end = end;
            this.mode = mode;
        }

        private boolean conflicts(Lease other) {
            return first < other.end && other.first < end && mode.conflictsWith(other.mode);
        }

        void release() {
            LbaRangeLocks.this.release(this);
        }
    }

    /**
     * Granted and waiting leases in arrival order. A plain list scanned without iterators or streams: it holds at most
     * the commands in flight on the unit, and this runs twice for every read and write.
     */
    private final ArrayList<Lease> queue = new ArrayList<>();

    /** Locks blocks {@code [lba, lba + blocks)} for writing; the future completes when the lock is held. */
    CompletableFuture<Lease> acquire(long lba, long blocks) {
        return acquire(lba, blocks, Mode.WRITE);
    }

    /** Locks blocks {@code [lba, lba + blocks)} in {@code mode}; the future completes when the lock is held. */
    CompletableFuture<Lease> acquire(long lba, long blocks, Mode mode) {
        Lease lease = new Lease(lba, lba + blocks, mode);
        boolean grantNow;
        synchronized (this) {
            grantNow = !conflictsWithAnyBefore(lease, queue.size());
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
                if (candidate.waiting && !conflictsWithAnyBefore(candidate, i)) {
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

    /** Whether any of the first {@code count} leases in the queue (granted or waiting) conflicts with {@code lease}. */
    private boolean conflictsWithAnyBefore(Lease lease, int count) {
        for (int i = 0; i < count; i++) {
            if (queue.get(i).conflicts(lease)) {
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
