package dev.jtarget.cache;

import dev.jtarget.backend.BackendException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writers waiting for arena pages, served first come first served whenever pages are freed, so a large write is not
 * starved by a stream of small ones. Nothing here blocks a thread: a waiting write is just a queued
 * {@link PendingWrite} whose future completes later, which the initiator sees as latency.
 *
 * <p>Serving runs on whichever thread freed pages; a work-in-progress counter makes sure exactly one thread serves at a
 * time and that a free happening during a serve is never missed.
 */
final class WaitingWriters {
    /** What one serving step achieved for the write at the head of the queue. */
    enum Step {
        /** Not a single page could be copied in: wait for the next free. */
        STALLED,
        /** Part of the write is in; the rest waits for more free pages. */
        PARTIAL,
        /** The write is entirely in (or was failed); it leaves the queue. */
        DONE
    }

    private final ArrayDeque<PendingWrite> queue = new ArrayDeque<>();
    private final AtomicInteger serveRequests = new AtomicInteger();
    private volatile int size;

    boolean isEmpty() {
        return size == 0;
    }

    void add(PendingWrite write) {
        synchronized (this) {
            queue.add(write);
            size = queue.size();
        }
        serve();
    }

    /** Copies in as much of the waiting writes as free pages allow. */
    void serve() {
        if (size == 0 || serveRequests.getAndIncrement() != 0) {
            return;
        }
        int requests = 1;
        do {
            serveOnce();
            requests = serveRequests.addAndGet(-requests);
        } while (requests != 0);
    }

    private void serveOnce() {
        while (true) {
            PendingWrite head;
            synchronized (this) {
                head = queue.peek();
            }
            if (head == null) {
                return;
            }
            Step step = head.owner.applyQueuedStep(head);
            if (step == Step.STALLED) {
                return;
            }
            if (step == Step.DONE) {
                synchronized (this) {
                    queue.remove(head);
                    size = queue.size();
                }
            }
        }
    }

    /** Fails and forgets the waiting writes of a LUN that is being abandoned. */
    void failAll(CachedBackend owner, BackendException error) {
        List<PendingWrite> failed = new ArrayList<>();
        synchronized (this) {
            for (Iterator<PendingWrite> it = queue.iterator(); it.hasNext(); ) {
                PendingWrite write = it.next();
                if (write.owner == owner) {
                    it.remove();
                    failed.add(write);
                }
            }
            size = queue.size();
        }
        failed.forEach(write -> write.future.completeExceptionally(error));
    }
}
