package dev.jtarget.iscsi.session;

import dev.jtarget.iscsi.pdu.Pdu;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command numbering for one session (RFC 7143 §4.2.2.1): delivers non-immediate commands in CmdSN order, drops
 * commands outside [ExpCmdSN, MaxCmdSN], and keeps the window bounded by the number of commands still active, so
 * an initiator can never have more than {@code depth} commands queued at the target.
 *
 * <p>Accessed only from the event loop of the session's connection.
 */
final class CommandWindow {
    private final int depth;
    private int expCmdSn;
    private int maxCmdSn;
    private int active;
    /** Commands that arrived ahead of a gap, keyed by CmdSN. Bounded by the window. */
    private final Map<Integer, Pdu> early = new HashMap<>();
    /**
     * CmdSNs in the window that ABORT TASK cancelled before their command arrived (RFC 7143 §11.5.1 b): they count
     * as received, and the command is discarded. Only CmdSNs inside [ExpCmdSN, MaxCmdSN] enter, and each leaves as
     * ExpCmdSN passes it, so the set never holds more than the window's depth.
     */
    private final Set<Integer> cancelled = new HashSet<>();

    CommandWindow(int expCmdSn, int depth) {
        this.depth = depth;
        this.expCmdSn = expCmdSn;
        this.maxCmdSn = expCmdSn + depth - 1;
    }

    int expCmdSn() {
        return expCmdSn;
    }

    int maxCmdSn() {
        return maxCmdSn;
    }

    /**
     * Accepts one request carrying a CmdSN and returns the requests now deliverable, in order (possibly none, possibly
     * several when this one fills a gap). Immediate requests are delivered at once and do not advance ExpCmdSN.
     * A request outside the window is released and dropped, as the RFC requires ("silently ignored").
     */
    List<Pdu> accept(Pdu request) {
        if (request.bhs().immediate()) {
            return List.of(request);
        }
        int cmdSn = request.bhs().cmdSn();
        if (SerialNumbers.lessThan(cmdSn, expCmdSn) || SerialNumbers.lessThan(maxCmdSn, cmdSn)) {
            request.release();
            return List.of();
        }
        if (cancelled.contains(cmdSn)) {
            request.release(); // the command of a CmdSN already counted as received
            return List.of();
        }
        if (cmdSn != expCmdSn) {
            Pdu previous = early.put(cmdSn, request);
            if (previous != null) {
                previous.release(); // a duplicate CmdSN: keep the newest
            }
            return List.of();
        }
        List<Pdu> ready = new ArrayList<>(1);
        ready.add(request);
        expCmdSn++;
        advance(ready);
        return ready;
    }

    /**
     * ABORT TASK names a command that has not been delivered (RFC 7143 §11.5.1 b): if {@code cmdSn} is in the window
     * and below the CmdSN of the abort itself, it is counted as received and its command discarded, now if it is
     * waiting behind a gap, or when it arrives. Returns null when {@code cmdSn} is not such a CmdSN; otherwise the
     * requests that the skipped CmdSN made deliverable, in order (usually none).
     */
    List<Pdu> cancel(int cmdSn, int abortCmdSn) {
        if (SerialNumbers.lessThan(cmdSn, expCmdSn) || SerialNumbers.lessThan(maxCmdSn, cmdSn)
                || !SerialNumbers.lessThan(cmdSn, abortCmdSn)) {
            return null;
        }
        Pdu waiting = early.remove(cmdSn);
        if (waiting != null) {
            waiting.release();
        }
        cancelled.add(cmdSn);
        List<Pdu> ready = new ArrayList<>(0);
        advance(ready);
        return ready;
    }

    /** Moves ExpCmdSN over the commands that arrived early and the CmdSNs that were cancelled. */
    private void advance(List<Pdu> ready) {
        while (true) {
            Pdu next = early.remove(expCmdSn);
            if (next != null) {
                ready.add(next);
            } else if (!cancelled.remove(expCmdSn)) {
                return;
            }
            expCmdSn++;
        }
    }

    /** A command that counts against the window started (non-immediate SCSI commands). */
    void taskStarted() {
        active++;
    }

    /** A command finished; the window opens again. */
    void taskFinished() {
        active--;
        recompute();
    }

    /** MaxCmdSN never moves backwards (RFC 7143 §4.2.2.1), it only opens as tasks finish. */
    void recompute() {
        int candidate = expCmdSn - 1 + Math.max(0, depth - active);
        if (SerialNumbers.lessThan(maxCmdSn, candidate)) {
            maxCmdSn = candidate;
        }
    }

    void releaseAll() {
        early.values().forEach(Pdu::release);
        early.clear();
        cancelled.clear();
    }
}
