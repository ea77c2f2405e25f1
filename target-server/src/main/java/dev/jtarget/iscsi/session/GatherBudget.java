package dev.jtarget.iscsi.session;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Bounds the write data one connection gathers at once. A write's payload stays in memory from its first Data-Out
 * until the SCSI layer is done with it, and an initiator that never sends the last bytes of its writes would
 * otherwise make the target hold the command window times {@link ScsiCommandFlow#MAX_TRANSFER_LENGTH}. So a write
 * gets its first R2T only once its whole length fits in the budget; until then it waits, in arrival order.
 * Reserving whole writes cannot deadlock: every reserved write can complete, and one write always fits when no
 * other holds a reservation. Immediate and unsolicited data, at most FirstBurstLength per command, are bounded by the
 * window on their own.
 *
 * <p>Used only on the connection's event loop.
 */
final class GatherBudget {
    /** Two of the largest writes: enough to keep a large sequential write stream moving. */
    static final long LIMIT = 2L * ScsiCommandFlow.MAX_TRANSFER_LENGTH;

    private long reserved;
    private final Deque<ScsiTask> waiting = new ArrayDeque<>();

    /** True when {@code task} holds (or now takes) its reservation; otherwise it is queued until one is released. */
    boolean tryReserve(ScsiTask task) {
        if (task.holdsGatherBudget) {
            return true;
        }
        if (waiting.contains(task) || !fits(task)) {
            if (!waiting.contains(task)) {
                waiting.add(task);
            }
            return false;
        }
        reserve(task);
        return true;
    }

    /**
     * {@code task} has left: its reservation is returned (or it stops waiting). Returns the waiting tasks that now
     * fit, already holding their reservations, for the caller to send their R2Ts.
     */
    List<ScsiTask> release(ScsiTask task) {
        waiting.remove(task);
        if (!task.holdsGatherBudget) {
            return List.of();
        }
        task.holdsGatherBudget = false;
        reserved -= task.expectedLength;
        List<ScsiTask> ready = new ArrayList<>();
        while (!waiting.isEmpty() && fits(waiting.peek())) {
            ScsiTask next = waiting.poll();
            reserve(next);
            ready.add(next);
        }
        return ready;
    }

    private boolean fits(ScsiTask task) {
        return reserved == 0 || reserved + task.expectedLength <= LIMIT;
    }

    private void reserve(ScsiTask task) {
        reserved += task.expectedLength;
        task.holdsGatherBudget = true;
    }
}
