package dev.jtarget.scsi;

import dev.jtarget.scsi.ReservationState.Preemption;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * PERSISTENT RESERVE OUT (SPC-4 §6.16): REGISTER (with SPEC_I_PT), RESERVE, RELEASE, CLEAR, PREEMPT, PREEMPT AND
 * ABORT, REGISTER AND IGNORE EXISTING KEY and REGISTER AND MOVE. This class reads the CDB and the parameter list;
 * {@link ReservationState} applies the rules. REPLACE LOST RESERVATION is not supported (INVALID FIELD IN CDB): no
 * reservation is ever lost here.
 */
final class PersistentReserveOut {
    private static final int REGISTER = 0x00;
    private static final int RESERVE = 0x01;
    private static final int RELEASE = 0x02;
    private static final int CLEAR = 0x03;
    private static final int PREEMPT = 0x04;
    private static final int PREEMPT_AND_ABORT = 0x05;
    private static final int REGISTER_AND_IGNORE_EXISTING_KEY = 0x06;
    private static final int REGISTER_AND_MOVE = 0x07;
    /** The basic parameter list (SPC-4 §6.16.3), and the fixed part of REGISTER AND MOVE's (§6.16.4). */
    private static final int BASIC_LENGTH = 24;
    private static final int FLAGS_AT = 20;
    private static final int SPEC_I_PT = 3;
    /** SPEC_I_PT's TRANSPORTID PARAMETER DATA LENGTH, followed by the TransportIDs (SPC-4 Table 215). */
    private static final int SPECIFIED_PORTS_LENGTH_AT = 24;
    /** REGISTER AND MOVE: UNREG and APTPL, RELATIVE TARGET PORT IDENTIFIER, TRANSPORTID LENGTH (SPC-4 Table 217). */
    private static final int MOVE_FLAGS_AT = 17;
    private static final int MOVE_PORT_AT = 18;
    private static final int MOVE_LENGTH_AT = 20;

    private PersistentReserveOut() {
    }

    static CompletableFuture<ScsiResponse> persistentReserveOut(Request request) {
        byte[] cdb = request.cdb();
        ScsiCommand command = request.command();
        int serviceAction = Cdb.bits(cdb, 1, 0, 5);
        if (serviceAction > REGISTER_AND_MOVE) {
            throw Cdb.invalidField(1, 4);
        }
        long listLength = Cdb.u32(cdb, 5);
        if (listLength < BASIC_LENGTH) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        // The list is 24 bytes unless SPEC_I_PT is set or the service action is REGISTER AND MOVE (SPC-4 §6.16.2);
        // the fixed part says which, before the rest is read.
        byte[] fixed = ByteBufUtil.getBytes(Transfers.dataOut(command, BASIC_LENGTH));
        boolean specifyInitiatorPorts = serviceAction != REGISTER_AND_MOVE && Cdb.bit(fixed, FLAGS_AT, SPEC_I_PT);
        if (specifyInitiatorPorts && serviceAction != REGISTER) {
            throw invalidParameter(FLAGS_AT, SPEC_I_PT); // SPC-4 §6.16.3: only REGISTER takes it
        }
        if (listLength != BASIC_LENGTH && !specifyInitiatorPorts && serviceAction != REGISTER_AND_MOVE) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] list = ByteBufUtil.getBytes(Transfers.dataOut(command, listLength));
        CompletableFuture<Void> done = serviceAction == REGISTER_AND_MOVE ? registerAndMove(request, list)
                : basic(request, serviceAction, list, specifyInitiatorPorts);
        return done.thenApply(finished -> Transfers.good(command, listLength));
    }

    private static CompletableFuture<Void> basic(Request request, int serviceAction, byte[] list,
                                                 boolean specifyInitiatorPorts) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ItNexus nexus = request.command().nexus();
        long reservationKey = Cdb.u64(list, 0);
        long serviceActionKey = Cdb.u64(list, 8);
        ReservationState state = lu.persistentReservation();
        return switch (serviceAction) {
            case REGISTER, REGISTER_AND_IGNORE_EXISTING_KEY -> {
                boolean aptpl = aptpl(state, list, FLAGS_AT);
                // ALL_TG_PT (bit 2) needs nothing more: the target has one target port (see ReservationState).
                if (specifyInitiatorPorts) {
                    yield state.registerWithSpecifiedPorts(nexus, reservationKey, serviceActionKey, aptpl,
                            specifiedPorts(list, nexus));
                }
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
    }

    /**
     * The TransportIDs after the basic list (SPC-4 Table 215). The TRANSPORTID PARAMETER DATA LENGTH must account
     * for exactly the rest of the list: fewer bytes than it announces is a PARAMETER LIST LENGTH ERROR, and so are
     * bytes after it, which belong to no field.
     */
    private static List<ItNexus> specifiedPorts(byte[] list, ItNexus nexus) {
        int from = SPECIFIED_PORTS_LENGTH_AT + 4;
        if (list.length < from || Cdb.u32(list, SPECIFIED_PORTS_LENGTH_AT) != list.length - from) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        return IscsiTransportId.readAll(list, from, list.length, SPECIFIED_PORTS_LENGTH_AT, nexus);
    }

    /**
     * REGISTER AND MOVE (SPC-4 §5.9.8, §6.16.4): one TransportID naming the initiator port and the RELATIVE TARGET
     * PORT IDENTIFIER naming the target port of the nexus that gets the reservation. SCOPE and TYPE are ignored:
     * the reservation keeps its own.
     */
    private static CompletableFuture<Void> registerAndMove(Request request, byte[] list) {
        ItNexus nexus = request.command().nexus();
        ReservationState state = request.lu().persistentReservation();
        boolean unregister = Cdb.bit(list, MOVE_FLAGS_AT, 1);
        boolean aptpl = aptpl(state, list, MOVE_FLAGS_AT);
        // Each portal group is one target port and this target has one: the port the command came through.
        if (Cdb.u16(list, MOVE_PORT_AT) != VpdPages.relativeTargetPort(nexus)) {
            throw invalidParameter(MOVE_PORT_AT, -1);
        }
        long transportIdLength = Cdb.u32(list, MOVE_LENGTH_AT);
        if (transportIdLength != list.length - BASIC_LENGTH) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        List<ItNexus> named = IscsiTransportId.readAll(list, BASIC_LENGTH, list.length, MOVE_LENGTH_AT, nexus);
        if (named.size() != 1) {
            throw invalidParameter(MOVE_LENGTH_AT, -1); // none, or more than the one TransportID allowed
        }
        ItNexus destination = named.getFirst();
        if (destination.equals(nexus)) {
            throw invalidParameter(BASIC_LENGTH, -1); // moving to itself (SPC-4 §5.9.8)
        }
        return state.registerAndMove(nexus, Cdb.u64(list, 0), Cdb.u64(list, 8), destination, unregister, aptpl);
    }

    /** APTPL=1 needs a state directory (PTPL_C); without one it is INVALID FIELD IN PARAMETER LIST. */
    private static boolean aptpl(ReservationState state, byte[] list, int flagsAt) {
        boolean aptpl = Cdb.bit(list, flagsAt, 0);
        if (aptpl && !state.canPersist()) {
            throw invalidParameter(flagsAt, 0);
        }
        return aptpl;
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

    private static CheckCondition invalidParameter(int at, int bit) {
        return new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(at, bit));
    }
}
