package dev.jtarget.scsi;

import java.util.List;

/**
 * One command on its way through a handler.
 *
 * @param lu   the addressed logical unit; {@code null} only for the commands that answer for a LUN that does not
 *             exist (INQUIRY, REQUEST SENSE, REPORT LUNS)
 * @param luns every logical unit of the target in ascending LUN order, for REPORT LUNS and EXTENDED COPY
 */
record Request(ScsiCommand command, LogicalUnit lu, List<LogicalUnit> luns) {

    byte[] cdb() {
        return command.cdb();
    }

    List<Integer> lunIds() {
        return luns.stream().map(LogicalUnit::id).toList();
    }
}
