package dev.jtarget.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * Work decided under a LUN's lock and done after releasing it: completing futures (whose callbacks run arbitrary
 * code), calling the backend (which may complete inline and re-enter the cache), and waking flushers or waiting
 * writers. Keeping these out of the lock is what lets every path take locks in one order (LUN, then arena) and never
 * call out while holding one.
 */
final class Outbox {
    private List<Runnable> actions;
    private boolean pagesFreed;
    private boolean wakeFlushers;

    void later(Runnable action) {
        if (actions == null) {
            actions = new ArrayList<>(4);
        }
        actions.add(action);
    }

    /** Arena pages were freed: writers waiting for memory may proceed. */
    void pagesFreed() {
        pagesFreed = true;
    }

    /** Something flushers were waiting for happened (a sync request, an unblocked page, a finished discard). */
    void wakeFlushers() {
        wakeFlushers = true;
    }

    /** Runs everything collected, in order. Call without holding any lock. */
    void run(WriteBackCache cache) {
        if (actions != null) {
            for (Runnable action : actions) {
                action.run();
            }
        }
        if (wakeFlushers) {
            cache.wakeFlushers();
        }
        if (pagesFreed) {
            cache.pagesFreed();
        }
    }
}
