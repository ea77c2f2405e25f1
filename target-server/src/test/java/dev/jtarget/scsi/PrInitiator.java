package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.assertGood;

import java.util.ArrayList;
import java.util.List;

/** Sends PERSISTENT RESERVE IN/OUT through one nexus to LUN 0, for the persistent reservation tests. */
final class PrInitiator {
    static final int REGISTER = 0;
    static final int RESERVE = 1;
    static final int RELEASE = 2;
    static final int CLEAR = 3;
    static final int PREEMPT = 4;
    static final int PREEMPT_AND_ABORT = 5;
    static final int REGISTER_AND_IGNORE = 6;
    static final int APTPL = 0x01;

    private final Initiator initiator;

    PrInitiator(Initiator initiator) {
        this.initiator = initiator;
    }

    Initiator initiator() {
        return initiator;
    }

    Reply out(int serviceAction, PrType type, long reservationKey, long serviceActionKey, int flags) {
        return initiator.write(0, Cdbs.persistentReserveOut(serviceAction, type == null ? 0 : type.code, 24),
                Cdbs.proutParameters(reservationKey, serviceActionKey, flags));
    }

    Reply in(int serviceAction, int allocationLength) {
        return initiator.read(0, Cdbs.persistentReserveIn(serviceAction, allocationLength), allocationLength);
    }

    void register(long key) {
        assertGood(out(REGISTER_AND_IGNORE, null, 0, key, 0));
    }

    void reserve(long key, PrType type) {
        assertGood(out(RESERVE, type, key, 0, 0));
    }

    int generation() {
        return (int) Cdb.u32(in(0, 8).data(), 0);
    }

    List<Long> keys() {
        byte[] d = in(0, 1024).data();
        List<Long> keys = new ArrayList<>();
        for (int at = 8; at < 8 + Cdb.u32(d, 4); at += 8) {
            keys.add(Cdb.u64(d, at));
        }
        return keys;
    }

    /** READ RESERVATION: the reservation key and type, or null when there is no reservation. */
    long[] reservation() {
        byte[] d = in(1, 64).data();
        return Cdb.u32(d, 4) == 0 ? null : new long[] {Cdb.u64(d, 8), d[21] & 0x0F};
    }
}
