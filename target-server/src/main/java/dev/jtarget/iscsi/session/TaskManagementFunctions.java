package dev.jtarget.iscsi.session;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Pdu;
import dev.jtarget.iscsi.session.IscsiConnection.StatSnUse;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task Management Function Requests (RFC 7143 §11.5, §11.6; SAM-5 §7). The response is sent only after every
 * affected task is gone, and an aborted task never gets an answer of its own.
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

    private final IscsiConnection connection;
    private final IscsiSession session;
    private final ScsiCommandFlow commands;

    TaskManagementFunctions(IscsiConnection connection, IscsiSession session, ScsiCommandFlow commands) {
        this.connection = connection;
        this.session = session;
        this.commands = commands;
    }

    void onRequest(Pdu pdu) {
        Bhs bhs = pdu.bhs();
        int function = bhs.flags() & 0x7f;
        int itt = bhs.initiatorTaskTag();
        int lun = LunField.decode(bhs.lun());
        log.info("{}: task management function {} for LUN {} (ITT 0x{})", connection.remoteAddress(),
                name(function), lun, Integer.toHexString(itt));
        switch (function) {
            case ABORT_TASK -> abortTask(itt, bhs.targetTransferTag());
            case ABORT_TASK_SET, CLEAR_TASK_SET -> {
                if (!session.device.hasLun(lun)) {
                    respond(itt, LUN_DOES_NOT_EXIST);
                } else {
                    abortAll(tasksOn(lun), () -> respond(itt, FUNCTION_COMPLETE));
                }
            }
            case LOGICAL_UNIT_RESET -> {
                if (!session.device.hasLun(lun)) {
                    respond(itt, LUN_DOES_NOT_EXIST);
                } else {
                    abortAll(tasksOn(lun), () -> {
                        session.device.logicalUnitReset(session.nexus, lun);
                        respond(itt, FUNCTION_COMPLETE);
                    });
                }
            }
            case TARGET_WARM_RESET, TARGET_COLD_RESET -> abortAll(new ArrayList<>(session.tasks.values()), () -> {
                session.device.targetReset(session.nexus);
                respond(itt, FUNCTION_COMPLETE);
                if (function == TARGET_COLD_RESET) {
                    // a cold reset ends every connection, this one included, after the response (RFC 7143 §11.5.1)
                    // Flushed now, even inside a read batch: the close below would drop a response left queued.
                    connection.channel().flush();
                    connection.channel().close();
                }
            });
            case TASK_REASSIGN -> respond(itt, TASK_ALLEGIANCE_REASSIGNMENT_NOT_SUPPORTED); // needs ERL 2
            case CLEAR_ACA -> respond(itt, FUNCTION_NOT_SUPPORTED); // we never establish ACA (NACA=0)
            default -> respond(itt, FUNCTION_NOT_SUPPORTED);
        }
    }

    private void abortTask(int itt, int referencedTaskTag) {
        ScsiTask task = session.tasks.get(referencedTaskTag);
        if (task != null) {
            commands.abort(task, () -> respond(itt, FUNCTION_COMPLETE));
            return;
        }
        // RFC 7143 §11.5.1 c): an unknown task whose RefCmdSN is below ExpCmdSN has completed and been answered, so
        // it does not exist. One whose RefCmdSN is still in the window has not arrived (case b): the RFC asks for
        // "Function complete" and for that CmdSN to count as received, which the command window cannot do yet, so
        // it is answered "does not exist" too and runs normally when it arrives.
        respond(itt, TASK_DOES_NOT_EXIST);
    }

    private List<ScsiTask> tasksOn(int lun) {
        List<ScsiTask> affected = new ArrayList<>();
        for (ScsiTask task : session.tasks.values()) {
            if (task.lun == lun) {
                affected.add(task);
            }
        }
        return affected;
    }

    private void abortAll(List<ScsiTask> tasks, Runnable then) {
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
        tasks.forEach(task -> task.aborted = true);
        for (ScsiTask task : tasks) {
            commands.abort(task, oneDone);
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
