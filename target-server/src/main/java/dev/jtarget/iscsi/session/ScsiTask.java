package dev.jtarget.iscsi.session;

import dev.jtarget.scsi.DataDirection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;

/**
 * One SCSI command of a session, from its SCSI Command PDU to its status. For writes it gathers the Data-Out
 * payload (immediate data, unsolicited Data-Out, then solicited bursts) as retained slices of the socket buffers, so
 * the payload is not copied here; the SCSI layer sees one composite buffer.
 *
 * <p>Accessed only from the session's event loop.
 */
final class ScsiTask {
    enum State { COLLECTING_DATA, EXECUTING, DONE }

    final int itt;
    final long lunField;
    final int lun;
    final byte[] cdb;
    final DataDirection direction;
    final int expectedLength;
    final boolean countsAgainstWindow;

    State state = State.COLLECTING_DATA;
    boolean aborted;
    /**
     * Aborted on behalf of another I_T nexus: with TAS=1 in our control mode page it ends with TASK ABORTED status
     * (SAM-5 §5.6) rather than silently.
     */
    boolean answerTaskAborted;
    /** Whether this write holds its share of the connection's {@link GatherBudget}. */
    boolean holdsGatherBudget;
    /** Run when the task leaves the session (completion or abort): task management waits on this. */
    final Deque<Runnable> onFinished = new ArrayDeque<>(1);

    private final ByteBufAllocator allocator;
    /**
     * Payload pieces by buffer offset. Pieces of different R2T bursts may arrive interleaved, so they are put in
     * offset order only when the data is complete; the flow has checked that they never overlap.
     */
    private final TreeMap<Integer, ByteBuf> pieces;
    private ByteBuf dataOut;
    private int received;

    // Unsolicited data (RFC 7143 §4.2.5.2): up to FirstBurstLength, DataSN from 0, ends with the F bit.
    int unsolicitedLimit;
    boolean unsolicitedOpen;
    int unsolicitedDataSn;

    // Solicited data: R2Ts are issued in offset order, a bounded number at a time.
    int nextR2tOffset;
    int nextR2tSn;
    final Deque<R2tState> outstandingR2ts = new ArrayDeque<>();
    /** Count of R2T and Data-In PDUs sent, reported as ExpDataSN in the SCSI Response (§11.4.8). */
    int dataSnSent;

    /** One outstanding R2T: the burst it asked for and how far the initiator has got. */
    static final class R2tState {
        final int ttt;
        final int offset;
        final int length;
        int received;
        int nextDataSn;

        R2tState(int ttt, int offset, int length) {
            this.ttt = ttt;
            this.offset = offset;
            this.length = length;
        }
    }

    ScsiTask(int itt, long lunField, int lun, byte[] cdb, DataDirection direction, int expectedLength,
             boolean countsAgainstWindow, ByteBufAllocator allocator) {
        this.itt = itt;
        this.lunField = lunField;
        this.lun = lun;
        this.cdb = cdb;
        this.direction = direction;
        this.expectedLength = expectedLength;
        this.countsAgainstWindow = countsAgainstWindow;
        this.allocator = allocator;
        this.pieces = direction == DataDirection.WRITE || direction == DataDirection.BIDIRECTIONAL
                ? new TreeMap<>() : null;
    }

    boolean isWrite() {
        return pieces != null;
    }

    int received() {
        return received;
    }

    boolean allDataReceived() {
        return received == expectedLength;
    }

    /** Keeps (retains) a payload piece at {@code offset}; the caller has checked the offset against the burst. */
    void addData(int offset, ByteBuf payload) {
        if (!payload.isReadable()) {
            return;
        }
        received += payload.readableBytes();
        pieces.put(offset, payload.retain());
    }

    /** All payload in offset order, as one buffer without copying. Owned by the task until {@link #finished()}. */
    ByteBuf assembleDataOut() {
        if (pieces.size() == 1) {
            // The common small write (all of it immediate data) needs no composite around its one piece.
            dataOut = pieces.pollFirstEntry().getValue();
            return dataOut;
        }
        CompositeByteBuf composite = allocator.compositeBuffer(Math.max(2, pieces.size()));
        for (Map.Entry<Integer, ByteBuf> piece : pieces.entrySet()) {
            composite.addComponent(true, piece.getValue());
        }
        pieces.clear();
        dataOut = composite;
        return dataOut;
    }

    R2tState findR2t(int ttt) {
        for (R2tState r2t : outstandingR2ts) {
            if (r2t.ttt == ttt) {
                return r2t;
            }
        }
        return null;
    }

    /** Frees the gathered payload; safe to call more than once. */
    void releaseData() {
        if (pieces != null) {
            pieces.values().forEach(ByteBuf::release);
            pieces.clear();
        }
        if (dataOut != null) {
            dataOut.release();
            dataOut = null;
        }
    }

    void finished() {
        state = State.DONE;
        releaseData();
        Runnable waiter;
        while ((waiter = onFinished.poll()) != null) {
            waiter.run();
        }
    }
}
