package dev.jtarget.scsi;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pending unit attention conditions of one logical unit, queued per I_T nexus and reported one per command in the
 * order they were established (SAM-5 §5.14). Only logged-in nexuses have a queue.
 */
final class UnitAttentions {
    private final Map<ItNexus, Deque<Sense>> pending = new ConcurrentHashMap<>();

    /** A new nexus starts with POWER ON, RESET, OR BUS DEVICE RESET OCCURRED: it has not seen this LU's state. */
    void nexusLoggedIn(ItNexus nexus) {
        Deque<Sense> queue = new ArrayDeque<>();
        queue.add(Sense.POWER_ON_OR_RESET);
        pending.put(nexus, queue);
    }

    void nexusLoggedOut(ItNexus nexus) {
        pending.remove(nexus);
    }

    /** Queues {@code condition} for every nexus except {@code source}, unless it is already queued there. */
    void establishForOthers(ItNexus source, Sense condition) {
        pending.forEach((nexus, queue) -> {
            if (!nexus.equals(source)) {
                add(queue, condition);
            }
        });
    }

    /** Queues {@code condition} for every logged-in nexus, unless it is already queued there. */
    void establishForAll(Sense condition) {
        pending.values().forEach(queue -> add(queue, condition));
    }

    /** Queues {@code condition} for each of {@code nexuses} that is logged in, unless it is already queued there. */
    void establishFor(Collection<ItNexus> nexuses, Sense condition) {
        for (ItNexus nexus : nexuses) {
            Deque<Sense> queue = pending.get(nexus);
            if (queue != null) {
                add(queue, condition);
            }
        }
    }

    private static void add(Deque<Sense> queue, Sense condition) {
        synchronized (queue) {
            if (queue.stream().noneMatch(condition::sameCondition)) {
                queue.add(condition);
            }
        }
    }

    /**
     * A reset: every nexus, the one that asked for it too, gets {@code condition} instead of what it had pending,
     * since the reset supersedes older conditions (SAM-5 §5.14, §6.3: a hard or logical unit reset establishes the
     * unit attention for the initiator port of every I_T nexus; multipath software counts on seeing it on each path).
     */
    void resetAll(Sense condition) {
        pending.forEach((nexus, queue) -> {
            synchronized (queue) {
                queue.clear();
                queue.add(condition);
            }
        });
    }

    /** Removes and returns the oldest condition pending for {@code nexus}, or null. */
    Sense take(ItNexus nexus) {
        Deque<Sense> queue = pending.get(nexus);
        if (queue == null) {
            return null;
        }
        synchronized (queue) {
            return queue.pollFirst();
        }
    }
}
