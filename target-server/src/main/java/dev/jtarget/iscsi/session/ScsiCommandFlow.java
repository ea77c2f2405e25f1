package dev.jtarget.iscsi.session;

import dev.jtarget.iscsi.login.SessionParameters;
import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Pdu;
import dev.jtarget.iscsi.session.IscsiConnection.StatSnUse;
import dev.jtarget.scsi.DataDirection;
import dev.jtarget.scsi.ScsiCommand;
import dev.jtarget.scsi.ScsiResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SCSI commands of one connection through their iSCSI life (RFC 7143 §4.2.5, §11.3-§11.8): intake, immediate and
 * unsolicited data, R2T-paced solicited data, execution in the SCSI layer off the event loop, and the answer as
 * Data-In PDUs (status collapsed into the last one when there is no sense) or a SCSI Response.
 */
final class ScsiCommandFlow {
    private static final Logger log = LoggerFactory.getLogger(ScsiCommandFlow.class);
    private static final int FLAG_FINAL = 0x80;
    private static final int FLAG_READ = 0x40;
    private static final int FLAG_WRITE = 0x20;
    /** AHS type of an extended CDB (RFC 7143 §11.2.2.3). */
    private static final int AHS_EXTENDED_CDB = 1;
    /**
     * The largest single transfer we gather for a command. Writes are paced by R2Ts, so memory per command is
     * bounded by this and per connection by the {@link GatherBudget}.
     */
    static final int MAX_TRANSFER_LENGTH = 32 << 20;
    /**
     * Immediate commands bypass the command window (RFC 7143 §3.2.2.1), so without a cap of their own an initiator
     * could start any number of tasks. The RFC asks a target to take at least one at a time; more are rejected.
     */
    static final int MAX_IMMEDIATE_TASKS = 8;

    private final IscsiConnection connection;
    private final IscsiSession session;
    private final SessionParameters parameters;
    private final EventLoop eventLoop;
    private final List<Runnable> idleWaiters = new ArrayList<>(1);
    private final GatherBudget gatherBudget = new GatherBudget();

    ScsiCommandFlow(IscsiConnection connection, IscsiSession session) {
        this.connection = connection;
        this.session = session;
        this.parameters = session.parameters;
        this.eventLoop = connection.channel().eventLoop();
    }

    // ---------------------------------------------------------------- intake

    void onScsiCommand(Pdu pdu) {
        Bhs bhs = pdu.bhs();
        int itt = bhs.initiatorTaskTag();
        if (itt == Bhs.RESERVED_TAG) {
            reject(TargetPdus.REJECT_INVALID_PDU_FIELD, bhs);
            return;
        }
        if (session.tasks.containsKey(itt)) {
            reject(TargetPdus.REJECT_TASK_IN_PROGRESS, bhs);
            return;
        }
        if (bhs.immediate() && immediateTasks() >= MAX_IMMEDIATE_TASKS) {
            reject(TargetPdus.REJECT_IMMEDIATE_COMMAND, bhs);
            return;
        }
        byte[] cdb = cdbOf(pdu);
        if (cdb == null) {
            reject(TargetPdus.REJECT_INVALID_PDU_FIELD, bhs);
            return;
        }
        boolean read = bhs.flagBit(FLAG_READ);
        boolean write = bhs.flagBit(FLAG_WRITE);
        DataDirection direction = write && read ? DataDirection.BIDIRECTIONAL
                : write ? DataDirection.WRITE : read ? DataDirection.READ : DataDirection.NONE;
        int expectedLength = bhs.expectedDataTransferLength();
        boolean immediate = bhs.immediate();
        ScsiTask task = new ScsiTask(itt, bhs.lun(), LunField.decode(bhs.lun()), cdb, direction,
                Math.max(0, expectedLength), !immediate, connection.channel().alloc());
        session.tasks.put(itt, task);
        if (task.countsAgainstWindow) {
            session.window.taskStarted();
        }
        if (expectedLength < 0 || expectedLength > MAX_TRANSFER_LENGTH) {
            log.warn("{}: command 0x{} asks to move {} bytes, more than the {} we accept", connection.remoteAddress(),
                    Integer.toHexString(cdb[0] & 0xff), Integer.toUnsignedString(expectedLength), MAX_TRANSFER_LENGTH);
            finish(task, ScsiResponse.checkCondition(SenseBytes.invalidFieldInCdb()), null);
            return;
        }
        if (!task.isWrite()) {
            execute(task);
            return;
        }
        ByteBuf immediateData = pdu.data();
        int immediateLength = immediateData.readableBytes();
        if (immediateLength > 0) {
            if (!parameters.immediateData() || immediateLength > Math.min(expectedLength,
                    parameters.firstBurstLength())) {
                log.warn("{}: {} bytes of immediate data not allowed for ITT 0x{}", connection.remoteAddress(),
                        immediateLength, Integer.toHexString(itt));
                reject(TargetPdus.REJECT_PROTOCOL_ERROR, bhs);
                abandon(task);
                return;
            }
            task.addData(0, immediateData);
        }
        if (task.allDataReceived()) {
            execute(task);
            return;
        }
        if (!bhs.isFinal()) {
            if (parameters.initialR2T()) {
                reject(TargetPdus.REJECT_PROTOCOL_ERROR, bhs); // unsolicited Data-Out was not negotiated
                abandon(task);
                return;
            }
            task.unsolicitedOpen = true;
            task.unsolicitedLimit = Math.min(parameters.firstBurstLength(), expectedLength);
        }
        task.nextR2tOffset = task.received();
        if (!task.unsolicitedOpen) {
            issueR2ts(task);
        }
    }

    private int immediateTasks() {
        int count = 0;
        for (ScsiTask task : session.tasks.values()) {
            if (!task.countsAgainstWindow) {
                count++;
            }
        }
        return count;
    }

    /** The CDB: 16 bytes from the BHS plus, for longer CDBs, the extended-CDB AHS. Null when the AHS is malformed. */
    private static byte[] cdbOf(Pdu pdu) {
        byte[] base = pdu.bhs().cdb();
        ByteBuf ahs = pdu.ahs();
        int at = ahs.readerIndex();
        while (ahs.writerIndex() - at >= 4) {
            int length = ahs.getUnsignedShort(at);
            int type = ahs.getUnsignedByte(at + 2);
            if (type == AHS_EXTENDED_CDB) {
                int extra = length - 1; // the AHS-specific part starts with one reserved byte
                if (extra <= 0 || at + 4 + extra > ahs.writerIndex()) {
                    return null;
                }
                byte[] cdb = new byte[16 + extra];
                System.arraycopy(base, 0, cdb, 0, 16);
                ahs.getBytes(at + 4, cdb, 16, extra);
                return cdb;
            }
            at += (3 + length + 3) & ~3; // AHSLength excludes the 3 header bytes and the padding
        }
        return base;
    }

    // ---------------------------------------------------------------- data out

    void onDataOut(Pdu pdu) {
        Bhs bhs = pdu.bhs();
        ScsiTask task = session.tasks.get(bhs.initiatorTaskTag());
        int ttt = bhs.targetTransferTag();
        if (task == null || task.state != ScsiTask.State.COLLECTING_DATA) {
            if (ttt != Bhs.RESERVED_TAG) {
                reject(TargetPdus.REJECT_INVALID_PDU_FIELD, bhs);
            }
            // unsolicited data for a command that already ended early (e.g. refused): nothing to do with it
            return;
        }
        int length = pdu.data().readableBytes();
        int offset = bhs.bufferOffset();
        if (ttt == Bhs.RESERVED_TAG) {
            if (!task.unsolicitedOpen || offset != task.received() || bhs.dataSn() != task.unsolicitedDataSn
                    || task.received() + length > task.unsolicitedLimit) {
                protocolError(task, bhs, "unsolicited Data-Out out of sequence");
                return;
            }
            task.addData(offset, pdu.data());
            task.unsolicitedDataSn++;
            if (bhs.isFinal() || task.received() == task.unsolicitedLimit) {
                task.unsolicitedOpen = false;
                task.nextR2tOffset = task.received();
            }
        } else {
            ScsiTask.R2tState r2t = task.findR2t(ttt);
            if (r2t == null || offset != r2t.offset + r2t.received || bhs.dataSn() != r2t.nextDataSn
                    || r2t.received + length > r2t.length) {
                protocolError(task, bhs, "solicited Data-Out does not match its R2T");
                return;
            }
            task.addData(offset, pdu.data());
            r2t.received += length;
            r2t.nextDataSn++;
            if (r2t.received == r2t.length) {
                task.outstandingR2ts.remove(r2t);
            }
        }
        if (task.aborted) {
            if (!awaitsDataOut(task)) {
                endAbortedForOtherNexus(task); // the data it was owed is in; no further R2T is sent
            }
            return;
        }
        if (task.allDataReceived()) {
            execute(task);
        } else if (!task.unsolicitedOpen) {
            issueR2ts(task);
        }
    }

    private void issueR2ts(ScsiTask task) {
        if (!gatherBudget.tryReserve(task)) {
            return; // its R2Ts follow when an earlier write leaves
        }
        while (task.outstandingR2ts.size() < parameters.maxOutstandingR2T()
                && task.nextR2tOffset < task.expectedLength) {
            int length = Math.min(parameters.maxBurstLength(), task.expectedLength - task.nextR2tOffset);
            ScsiTask.R2tState r2t = new ScsiTask.R2tState(session.nextTargetTransferTag(), task.nextR2tOffset, length);
            task.outstandingR2ts.add(r2t);
            connection.send(TargetPdus.r2t(task.lunField, task.itt, r2t.ttt, task.nextR2tSn++, r2t.offset, length),
                    StatSnUse.CURRENT);
            task.dataSnSent++;
            task.nextR2tOffset += length;
        }
    }

    private void protocolError(ScsiTask task, Bhs bhs, String what) {
        log.warn("{}: {} (ITT 0x{}, offset {}, DataSN {}); rejected", connection.remoteAddress(), what,
                Integer.toHexString(task.itt), bhs.bufferOffset(), bhs.dataSn());
        reject(TargetPdus.REJECT_PROTOCOL_ERROR, bhs);
    }

    // ---------------------------------------------------------------- execution and answer

    private void execute(ScsiTask task) {
        task.state = ScsiTask.State.EXECUTING;
        ByteBuf dataOut = task.isWrite() ? task.assembleDataOut() : null;
        ScsiCommand command = new ScsiCommand(session.nexus, task.lun, task.cdb, task.direction,
                task.expectedLength, dataOut, task.itt);
        CompletableFuture<ScsiResponse> result;
        try {
            result = session.device.execute(command);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete((response, failure) -> {
            if (eventLoop.inEventLoop()) {
                finish(task, response, failure);
                connection.flushIfPending();
            } else {
                eventLoop.execute(() -> {
                    finish(task, response, failure);
                    connection.flushSoon();
                });
            }
        });
    }

    private void finish(ScsiTask task, ScsiResponse response, Throwable failure) {
        if (session.tasks.get(task.itt) == task) {
            session.tasks.remove(task.itt);
            if (task.countsAgainstWindow) {
                session.window.taskFinished();
            }
        }
        if (failure != null) {
            log.error("{}: SCSI layer failed command 0x{} (ITT 0x{})", connection.remoteAddress(),
                    Integer.toHexString(task.cdb[0] & 0xff), Integer.toHexString(task.itt), failure);
            response = ScsiResponse.checkCondition(SenseBytes.internalTargetFailure());
        }
        if (task.aborted || !connection.isOpen()) {
            if (response != null && response.dataIn() != null) {
                response.dataIn().release();
            }
            if (task.answerTaskAborted && connection.isOpen()) {
                sendTaskAborted(task);
            }
        } else {
            answer(task, response);
        }
        task.finished();
        leaveGatherBudget(task);
        checkIdle();
    }

    private void answer(ScsiTask task, ScsiResponse response) {
        int residualFlags = switch (response.residual()) {
            case NONE -> 0;
            case UNDERFLOW -> TargetPdus.FLAG_UNDERFLOW;
            case OVERFLOW -> TargetPdus.FLAG_OVERFLOW;
        };
        ByteBuf dataIn = response.dataIn();
        boolean statusSent = false;
        if (dataIn != null) {
            boolean readable = task.direction == DataDirection.READ || task.direction == DataDirection.BIDIRECTIONAL;
            if (readable && dataIn.isReadable()) {
                statusSent = sendDataIn(task, dataIn, response, residualFlags);
            }
            dataIn.release();
        }
        if (!statusSent) {
            connection.send(TargetPdus.scsiResponse(task.itt, response.status(), response.sense(), residualFlags,
                    response.residualCount(), task.dataSnSent), StatSnUse.ADVANCE);
        }
    }

    /** Sends the data as Data-In PDUs; returns true when the status rode on the last one. */
    private boolean sendDataIn(ScsiTask task, ByteBuf data, ScsiResponse response, int residualFlags) {
        int total = data.readableBytes();
        int segmentLimit = connection.sendSegmentLimit();
        int burstLimit = parameters.maxBurstLength();
        boolean collapseStatus = response.sense() == null;
        int offset = 0;
        int inBurst = 0;
        int base = data.readerIndex();
        while (offset < total) {
            int length = Math.min(Math.min(segmentLimit, total - offset), burstLimit - inBurst);
            boolean last = offset + length == total;
            inBurst += length;
            boolean endOfSequence = last || inBurst == burstLimit; // MaxBurstLength bounds a Data-In sequence
            Pdu pdu = TargetPdus.dataIn(task.lunField, task.itt, task.dataSnSent++, offset,
                    data.retainedSlice(base + offset, length), endOfSequence);
            if (last && collapseStatus) {
                TargetPdus.addStatus(pdu, response.status(), residualFlags, response.residualCount());
                connection.send(pdu, StatSnUse.ADVANCE);
            } else {
                connection.send(pdu, StatSnUse.NONE);
            }
            if (endOfSequence) {
                inBurst = 0;
            }
            offset += length;
        }
        return collapseStatus;
    }

    // ---------------------------------------------------------------- ending tasks early

    /** Drops a task that was refused before execution, without an answer (the Reject was the answer). */
    private void abandon(ScsiTask task) {
        session.tasks.remove(task.itt);
        if (task.countsAgainstWindow) {
            session.window.taskFinished();
        }
        task.finished();
        leaveGatherBudget(task);
        checkIdle();
    }

    /** Gives the task's share of the budget back; writes that were waiting for it get their R2Ts. */
    private void leaveGatherBudget(ScsiTask task) {
        for (ScsiTask next : gatherBudget.release(task)) {
            if (connection.isOpen() && !next.aborted) {
                issueR2ts(next);
            }
        }
    }

    /**
     * Aborts a task for task management: a task still collecting data ends now; an executing one ends when the SCSI
     * layer finishes it (its answer is then suppressed). {@code done} runs once the task is gone.
     */
    void abort(ScsiTask task, Runnable done) {
        task.aborted = true;
        task.answerTaskAborted = false; // its own initiator asked: no answer, even if another nexus asked first
        if (task.state == ScsiTask.State.COLLECTING_DATA) {
            abandon(task);
            done.run();
        } else if (task.state == ScsiTask.State.EXECUTING) {
            task.onFinished.add(done);
        } else {
            done.run();
        }
    }

    /**
     * Aborts a task on behalf of another I_T nexus (CLEAR TASK SET, LOGICAL UNIT RESET or target reset from another
     * session): it ends with TASK ABORTED status. A write keeps receiving the Data-Out its outstanding R2Ts and open
     * unsolicited burst still owe, so the initiator never sees data for a task that is gone rejected (RFC 7143
     * §4.2.3.3, standard multi-task abort semantics, has the target wait for it), but it is sent no further R2T. {@code done} runs once it is gone.
     * A task its own initiator had already aborted stays without an answer.
     */
    void abortForOtherNexus(ScsiTask task, Runnable done) {
        if (!task.aborted) {
            task.answerTaskAborted = true;
            task.aborted = true;
        }
        if (task.state == ScsiTask.State.EXECUTING || awaitsDataOut(task)) {
            task.onFinished.add(done);
        } else {
            if (task.state == ScsiTask.State.COLLECTING_DATA) {
                endAbortedForOtherNexus(task);
            }
            done.run();
        }
    }

    private static boolean awaitsDataOut(ScsiTask task) {
        return task.unsolicitedOpen || !task.outstandingR2ts.isEmpty();
    }

    private void endAbortedForOtherNexus(ScsiTask task) {
        if (task.answerTaskAborted && connection.isOpen()) {
            sendTaskAborted(task);
        }
        abandon(task);
    }

    private void sendTaskAborted(ScsiTask task) {
        connection.send(TargetPdus.scsiResponse(task.itt, ScsiResponse.TASK_ABORTED, null, 0, 0, task.dataSnSent),
                StatSnUse.ADVANCE);
    }

    /**
     * Logout (RFC 7143 §11.14): "the target MUST terminate all pending commands". A task still waiting for Data-Out
     * ends now without an answer, as none will come after the Logout Request; an executing one finishes on its own.
     */
    void terminateTasksAwaitingData() {
        List<ScsiTask> awaiting = new ArrayList<>();
        for (ScsiTask task : session.tasks.values()) {
            if (task.state == ScsiTask.State.COLLECTING_DATA) {
                task.aborted = true; // before any is abandoned, so none of them is sent an R2T on the way
                awaiting.add(task);
            }
        }
        awaiting.forEach(this::abandon);
    }

    /** Whether a task of this session is executing: we owe the initiator its answer, it owes us no data. */
    boolean anyExecuting() {
        for (ScsiTask task : session.tasks.values()) {
            if (task.state == ScsiTask.State.EXECUTING) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code action} once no task of this connection is active (now, if none is). */
    void whenIdle(Runnable action) {
        idleWaiters.add(action);
        checkIdle();
    }

    private void checkIdle() {
        if (session.tasks.isEmpty() && !idleWaiters.isEmpty()) {
            List<Runnable> ready = new ArrayList<>(idleWaiters);
            idleWaiters.clear();
            ready.forEach(Runnable::run);
        }
    }

    /** The connection is gone: tasks still collecting data free their buffers; executing ones drop their answers. */
    void connectionClosed() {
        for (ScsiTask task : new ArrayList<>(session.tasks.values())) {
            task.aborted = true;
            if (task.state == ScsiTask.State.COLLECTING_DATA) {
                session.tasks.remove(task.itt);
                task.finished();
            }
        }
        idleWaiters.clear();
    }

    private void reject(int reason, Bhs bhs) {
        connection.send(TargetPdus.reject(reason, bhs), StatSnUse.ADVANCE);
    }
}
