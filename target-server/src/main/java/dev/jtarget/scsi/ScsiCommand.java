package dev.jtarget.scsi;

import io.netty.buffer.ByteBuf;

/**
 * A SCSI command as the transport delivers it to the SCSI layer.
 *
 * @param nexus                      who sent it
 * @param lun                        the logical unit number, already decoded from the 8-byte LUN field
 * @param cdb                        the command descriptor block, exactly as long as the initiator sent it (6..260)
 * @param direction                  the R/W bits
 * @param expectedDataTransferLength bytes the initiator expects to move (iSCSI EDTL)
 * @param dataOut                    for writes: all of the Data-Out payload, exactly {@code expectedDataTransferLength}
 *                                   bytes (or fewer if the transport had to stop early); {@code null} otherwise. The
 *                                   transport keeps ownership and releases it after the returned future completes:
 *                                   the SCSI layer must not release it nor keep a reference past completion.
 * @param taskTag                    the initiator task tag, for logs and task management
 */
public record ScsiCommand(ItNexus nexus, int lun, byte[] cdb, DataDirection direction, int expectedDataTransferLength,
                          ByteBuf dataOut, int taskTag) {

    public int opcode() {
        return cdb[0] & 0xff;
    }
}
