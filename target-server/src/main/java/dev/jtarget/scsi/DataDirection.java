package dev.jtarget.scsi;

/** Which way data moves, from the initiator's point of view (the R and W bits of the SCSI Command PDU). */
public enum DataDirection {
    NONE, READ, WRITE, BIDIRECTIONAL
}
