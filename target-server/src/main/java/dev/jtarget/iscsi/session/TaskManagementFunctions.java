package dev.jtarget.iscsi.session;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Pdu;
import dev.jtarget.iscsi.session.IscsiConnection.StatSnUse;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task Management Function Requests (RFC 7143 §11.5, §11.6; SAM-5 §7). The response is sent only after every
 * affected task is gone, in every session it reaches. A task aborted at its own initiator's request never gets an
 * answer of its own; one aborted on behalf of another I_T nexus ends with TASK ABORTED (TAS=1, SAM-5 §5.6).
 */
final class TaskManagementFunctions {
    private static final Logger log = LoggerFactory.getLogger(TaskManagementFunctions.class);

    static final int ABORT_TASK = 1;
    static final int ABORT_TASK_SET = 2;
    static final int CLEAR_ACA = 3;
    static final int CLEAR_TASK_SET = 4;
    static final int LOGICAL_UNIT_RESET = 5;
    static final int TARGET_WARM_RESET = 6;
    static final int TARGET_COLD_RESET = 7;
    static final int TASK_REASSIGN = 8;

    static final int FUNCTION_COMPLETE = 0;
    static final int TASK_DOES_NOT_EXIST = 1;
    static final int LUN_DOES_NOT_EXIST = 2;
    static final int TASK_ALLEGIANCE_REASSIGNMENT_NOT_SUPPORTED = 4;
    static final int FUNCTION_NOT_SUPPORTED = 5;

    /** Byte offset of RefCmdSN in a Task Management Function Request (RFC 7143 §11.5). */
    private static final int REF_CMD_SN = 32;

    private final IscsiConnection connection;
    private final IscsiSession session;
    private final ScsiCommandFlow commands;
    private final SessionRegistry registry;

    TaskManagementFunctions(IscsiConnection connection, IscsiSession session, ScsiCommandFlow commands,
                            SessionRegistry registry) {
        this.connection = connection;
        this.session = session;
        this.commands = commands;
        this.registry = registry;
    }

    void onRequest(Pdu pdu) {
        Bhs bhs = pdu.bhs();
        int function = bhs.flags() & 0x7f;
        int itt = bhs.initiatorTaskTag();
        int lun = LunField.decode(bhs.lun());
        log.info("{}: task management function {} for LUN {} (ITT 0x{})", connection.remoteAddress(),
                name(function), lun, Integer.toHexString(itt));
        IntPredicate onLun = affected -> affected == lun;
        switch (function) {
            case ABORT_TASK -> abortTask(itt, bhs.targetTransferTag(), bhs.getInt(REF_CMD_SN), bhs.cmdSn());
            case ABORT_TASK_SET, CLEAR_TASK_SET, LOGICAL_UNIT_RESET -> {
                if (!session.device.hasLun(lun)) {
                    respond(itt, LUN_DOES_NOT_EXIST);
                } else if (function == ABORT_TASK_SET) {
                    // only the tasks this session issued (RFC 7143 §11.5.1, SAM-5 §7.3)
                    abortAll(tasksOn(onLun), false, () -> respond(itt, FUNCTION_COMPLETE));
                } else {
                    // TST=000b in our control mode page: one task set shared by every I_T nexus, so CLEAR TASK
                    // SET (SPC-4 §7.5.8) clears it for all of them, as LOGICAL UNIT RESET does (SAM-5 §7.7)
                    abortEverywhere(onLun, () -> {
                        if (function == LOGICAL_UNIT_RESET) {
                            session.device.logicalUnitReset(session.nexus, lun);
                        }
                        respond(itt, FUNCTION_COMPLETE);
                    });
                }
            }
            case TARGET_WARM_RESET, TARGET_COLD_RESET -> abortEverywhere(anyLun -> true, () -> {
                session.device.targetReset(session.nexus);
                respond(itt, FUNCTION_COMPLETE);
                if (function == TARGET_COLD_RESET) {
                    // a cold reset ends every connection to the target, this one after the response (RFC 7143
                    // §11.5.1)
                    for (IscsiConnection other : registry.connectionsOn(session.device)) {
                        if (other != connection) {
                            other.flushAndCloseSoon(); // after the TASK ABORTED statuses its tasks ended with
                        }
                    }
                    connection.flushAndClose();
                }
            });
            case TASK_REASSIGN -> respond(itt, TASK_ALLEGIANCE_REASSIGNMENT_NOT_SUPPORTED); // needs ERL 2
            case CLEAR_ACA -> respond(itt, FUNCTION_NOT_SUPPORTED); // we never establish ACA (NACA=0)
            default -> respond(itt, FUNCTION_NOT_SUPPORTED);
        }
    }

    private void abortTask(int itt, int referencedTaskTag, int refCmdSn, int cmdSn) {
        ScsiTask task = session.tasks.get(referencedTaskTag);
        if (task != null) {
            commands.abort(task, () -> respond(itt, FUNCTION_COMPLETE));
            return;
        }
        // RFC 7143 §11.5.1 b): an unknown task whose RefCmdSN is in the window and below this request's CmdSN was
        // sent but has not been delivered; its CmdSN counts as received and the command is discarded, so it never
        // runs. Otherwise (case c) it has completed and been answered, or never existed.
        List<Pdu> nowDeliverable = session.window.cancel(refCmdSn, cmdSn);
        if (nowDeliverable == null) {
            respond(itt, TASK_DOES_NOT_EXIST);
            return;
        }
        log.info("{}: command CmdSN {} aborted before it arrived; it will be discarded", connection.remoteAddress(),
                Integer.toUnsignedString(refCmdSn));
        respond(itt, FUNCTION_COMPLETE);
        connection.deliverOrdered(nowDeliverable);
    }

    /**
     * Aborts the tasks of every session on this target's device on the LUNs {@code affected} accepts: this
     * session's silently, the other I_T nexuses' with TASK ABORTED (TAS=1), each session on its own event loop.
     * {@code then} runs on this connection's event loop once every one of them has ended.
     */
    private void abortEverywhere(IntPredicate affected, Runnable then) {
        List<CompletableFuture<Void>> others = new ArrayList<>();
        for (IscsiConnection other : registry.connectionsOn(session.device)) {
            if (other != connection) {
                others.add(other.abortForOtherNexus(affected));
            }
        }
        EventLoop eventLoop = connection.channel().eventLoop();
        abortAll(tasksOn(affected), false, () -> CompletableFuture.allOf(others.toArray(CompletableFuture[]::new))
                .whenComplete((ignored, failure) -> {
                    if (eventLoop.inEventLoop()) {
                        then.run();
                        connection.flushIfPending();
                    } else {
                        eventLoop.execute(() -> {
                            then.run();
                            connection.flushIfPending();
                        });
                    }
                }));
    }

    /** Another session's CLEAR TASK SET, LOGICAL UNIT RESET or target reset reaches this session's tasks. */
    void abortForOtherNexus(IntPredicate affected, Runnable done) {
        abortAll(tasksOn(affected), true, done);
    }

    private List<ScsiTask> tasksOn(IntPredicate affected) {
        List<ScsiTask> found = new ArrayList<>();
        for (ScsiTask task : session.tasks.values()) {
            if (affected.test(task.lun)) {
                found.add(task);
            }
        }
        return found;
    }

    private void abortAll(List<ScsiTask> tasks, boolean forOtherNexus, Runnable then) {
        if (tasks.isEmpty()) {
            then.run();
            return;
        }
        int[] remaining = {tasks.size()};
        Runnable oneDone = () -> {
            if (--remaining[0] == 0) {
                then.run();
                connection.flushIfPending();
            }
        };
        // All are marked first, so that ending one does not hand a write waiting for room an R2T it will not use.
        for (ScsiTask task : tasks) {
            if (forOtherNexus && !task.aborted) {
                task.answerTaskAborted = true;
            }
            task.aborted = true;
        }
        for (ScsiTask task : tasks) {
            if (forOtherNexus) {
                commands.abortForOtherNexus(task, oneDone);
            } else {
                commands.abort(task, oneDone);
            }
        }
    }

    private void respond(int itt, int response) {
        connection.send(TargetPdus.taskManagementResponse(itt, response), StatSnUse.ADVANCE);
    }

    private static String name(int function) {
        return switch (function) {
            case ABORT_TASK -> "ABORT TASK";
            case ABORT_TASK_SET -> "ABORT TASK SET";
            case CLEAR_ACA -> "CLEAR ACA";
            case CLEAR_TASK_SET -> "CLEAR TASK SET";
            case LOGICAL_UNIT_RESET -> "LOGICAL UNIT RESET";
            case TARGET_WARM_RESET -> "TARGET WARM RESET";
            case TARGET_COLD_RESET -> "TARGET COLD RESET";
            case TASK_REASSIGN -> "TASK REASSIGN";
            default -> "function " + function;
        };
    }
}
