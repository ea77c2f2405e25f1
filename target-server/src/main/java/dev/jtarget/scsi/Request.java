package dev.jtarget.scsi;

import java.util.List;

/**
 * One command on its way through a handler.
 *
 * @param lu     the addressed logical unit; {@code null} only for the commands that answer for a LUN that does not
 *               exist (INQUIRY, REQUEST SENSE, REPORT LUNS)
 * @param lunIds every LUN of the target in ascending order, for REPORT LUNS
 */
record Request(ScsiCommand command, LogicalUnit lu, List<Integer> lunIds) {

    byte[] cdb() {
        return command.cdb();
    }
}
