package dev.jtarget.scsi;

import dev.jtarget.scsi.CommandSpec.Sharing;
import java.util.concurrent.CompletableFuture;

/** TEST UNIT READY, REQUEST SENSE, START STOP UNIT and PREVENT ALLOW MEDIUM REMOVAL. */
final class DeviceCommands {
    private static final int START_VALID = 0;

    private DeviceCommands() {
    }

    /** The medium is always there and ready; unit attentions were already reported by the dispatcher. */
    static CompletableFuture<ScsiResponse> testUnitReady(Request request) {
        return CompletableFuture.completedFuture(Transfers.good(request.command(), 0));
    }

    /**
     * Returns sense data as parameter data with GOOD status (SPC-4 §6.39). iSCSI delivers sense with each failed
     * command (autosense), so none is kept for later; what is left to report is a pending unit attention, which this
     * reports and clears (SAM-5 §5.14, UA_INTLCK_CTRL=00b), or the LUN's absence, or NO SENSE. DESC selects the format.
     */
    static CompletableFuture<ScsiResponse> requestSense(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        Sense sense;
        if (lu == null) {
            sense = Sense.LOGICAL_UNIT_NOT_SUPPORTED;
        } else {
            Sense unitAttention = lu.unitAttentions().take(request.command().nexus());
            sense = unitAttention != null ? unitAttention : Sense.NO_ADDITIONAL_SENSE;
        }
        byte[] data = sense.encode(Cdb.bit(cdb, 1, 0));
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, Cdb.u8(cdb, 4)));
    }

    /**
     * The medium cannot be ejected (LOEJ=1 is refused) and there are no power conditions. Stopping flushes, as a
     * disk writes its cache before it spins down, unless NO_FLUSH; the unit then stays ready, since a virtual disk
     * has nothing to spin up again.
     */
    static CompletableFuture<ScsiResponse> startStopUnit(Request request) {
        byte[] cdb = request.cdb();
        ScsiCommand command = request.command();
        if (Cdb.bits(cdb, 4, 4, 4) != START_VALID) {
            throw Cdb.invalidField(4, 7);
        }
        if (Cdb.bits(cdb, 3, 0, 4) != 0) {
            throw Cdb.invalidField(3, 3); // POWER CONDITION MODIFIER only qualifies a power condition
        }
        if (Cdb.bit(cdb, 4, 1)) {
            throw Cdb.invalidField(4, 1);
        }
        boolean start = Cdb.bit(cdb, 4, 0);
        boolean noFlush = Cdb.bit(cdb, 4, 2);
        if (start || noFlush) {
            return CompletableFuture.completedFuture(Transfers.good(command, 0));
        }
        return request.lu().flush().thenApply(done -> Transfers.good(command, 0));
    }

    /** Starting the unit without a power condition passes any persistent reservation (SBC-3 Table 13). */
    static Sharing startStopUnitSharing(byte[] cdb) {
        boolean start = Cdb.bit(cdb, 4, 0);
        return start && Cdb.bits(cdb, 4, 4, 4) == START_VALID ? Sharing.ALLOWED : Sharing.WRITE;
    }

    /** Allowing removal (PREVENT 00b) passes any persistent reservation, preventing it does not (SPC-4 Table 67). */
    static Sharing preventAllowSharing(byte[] cdb) {
        return Cdb.bits(cdb, 4, 0, 2) == 0 ? Sharing.ALLOWED : Sharing.WRITE;
    }

    /** A non-removable medium can always be allowed, never prevented from removal (SPC-4 §6.13). */
    static CompletableFuture<ScsiResponse> preventAllowMediumRemoval(Request request) {
        if (Cdb.bits(request.cdb(), 4, 0, 2) != 0) {
            throw Cdb.invalidField(4, 1);
        }
        return CompletableFuture.completedFuture(Transfers.good(request.command(), 0));
    }
}
