package dev.jtarget.scsi;

import dev.jtarget.scsi.ReservationState.Preemption;
import io.netty.buffer.ByteBufUtil;
import java.util.concurrent.CompletableFuture;

/**
 * PERSISTENT RESERVE OUT (SPC-4 §6.15): REGISTER, RESERVE, RELEASE, CLEAR, PREEMPT, PREEMPT AND ABORT and REGISTER
 * AND IGNORE EXISTING KEY. This class reads the CDB and the basic parameter list; {@link ReservationState} applies
 * the rules. REGISTER AND MOVE and REPLACE LOST RESERVATION are not supported (INVALID FIELD IN CDB).
 */
final class PersistentReserveOut {
    private static final int REGISTER = 0x00;
    private static final int RESERVE = 0x01;
    private static final int RELEASE = 0x02;
    private static final int CLEAR = 0x03;
    private static final int PREEMPT = 0x04;
    private static final int PREEMPT_AND_ABORT = 0x05;
    private static final int REGISTER_AND_IGNORE_EXISTING_KEY = 0x06;
    /** The basic parameter list of every supported service action (SPC-4 §6.15.3). */
    private static final int PARAMETER_LIST_LENGTH = 24;
    private static final int FLAGS_AT = 20;

    private PersistentReserveOut() {
    }

    static CompletableFuture<ScsiResponse> persistentReserveOut(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ScsiCommand command = request.command();
        ItNexus nexus = command.nexus();
        int serviceAction = Cdb.bits(cdb, 1, 0, 5);
        if (serviceAction > REGISTER_AND_IGNORE_EXISTING_KEY) {
            throw Cdb.invalidField(1, 4);
        }
        if (Cdb.u32(cdb, 5) != PARAMETER_LIST_LENGTH) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] list = ByteBufUtil.getBytes(Transfers.dataOut(command, PARAMETER_LIST_LENGTH));
        long reservationKey = Cdb.u64(list, 0);
        long serviceActionKey = Cdb.u64(list, 8);
        ReservationState state = lu.persistentReservation();
        CompletableFuture<Void> done = switch (serviceAction) {
            case REGISTER, REGISTER_AND_IGNORE_EXISTING_KEY -> {
                if (Cdb.bit(list, FLAGS_AT, 3)) {
                    throw invalidParameter(3); // SPEC_I_PT: SIP_C=0
                }
                boolean aptpl = Cdb.bit(list, FLAGS_AT, 0);
                if (aptpl && !state.canPersist()) {
                    throw invalidParameter(0); // PTPL_C=0
                }
                // ALL_TG_PT (bit 2) needs nothing more: the target has one target port (see ReservationState).
                yield state.register(nexus, reservationKey, serviceActionKey,
                        serviceAction == REGISTER_AND_IGNORE_EXISTING_KEY, aptpl);
            }
            case RESERVE -> state.reserve(nexus, reservationKey, type(cdb));
            case RELEASE -> state.release(nexus, reservationKey, type(cdb));
            case CLEAR -> state.clear(nexus, reservationKey);
            case PREEMPT -> state.preempt(nexus, reservationKey, serviceActionKey, type(cdb)).stored();
            case PREEMPT_AND_ABORT -> {
                // The preempted nexuses' commands cannot be recalled from the backend, so this completes only once
                // they have finished: afterwards none of them can still change the medium (SPC-4 §5.9.11.5).
                Preemption preemption = state.preempt(nexus, reservationKey, serviceActionKey, type(cdb));
                yield preemption.stored().thenCompose(stored -> lu.inFlight().drained(preemption.preempted()));
            }
            default -> throw new IllegalStateException("service action " + serviceAction);
        };
        return done.thenApply(finished -> Transfers.good(command, PARAMETER_LIST_LENGTH));
    }

    /** The SCOPE must be LU_SCOPE (0h) and the TYPE one of SPC-4 Table 187; else INVALID FIELD IN CDB. */
    private static PrType type(byte[] cdb) {
        if (Cdb.bits(cdb, 2, 4, 4) != 0) {
            throw Cdb.invalidField(2, 7);
        }
        PrType type = PrType.of(Cdb.bits(cdb, 2, 0, 4));
        if (type == null) {
            throw Cdb.invalidField(2, 3);
        }
        return type;
    }

    private static CheckCondition invalidParameter(int bit) {
        return new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(FLAGS_AT, bit));
    }
}
