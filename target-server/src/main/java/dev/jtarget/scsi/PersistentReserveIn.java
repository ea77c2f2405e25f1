package dev.jtarget.scsi;

import dev.jtarget.scsi.ReservationState.Registration;
import dev.jtarget.scsi.ReservationState.Reservation;
import dev.jtarget.scsi.ReservationState.Snapshot;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;

/** PERSISTENT RESERVE IN (SPC-4 §6.14): READ KEYS, READ RESERVATION, REPORT CAPABILITIES and READ FULL STATUS. */
final class PersistentReserveIn {
    private static final int READ_KEYS = 0x00;
    private static final int READ_RESERVATION = 0x01;
    private static final int REPORT_CAPABILITIES = 0x02;
    private static final int READ_FULL_STATUS = 0x03;
    private static final int SCOPE_LOGICAL_UNIT = 0x0;

    private PersistentReserveIn() {
    }

    /**
     * Unknown service actions are an invalid field, not an unknown command: the command exists (libiscsi's
     * PrinServiceactionRange expects exactly that). The parameter data keeps its full ADDITIONAL LENGTH when the
     * allocation length truncates it (SPC-4 §6.14.2).
     */
    static CompletableFuture<ScsiResponse> persistentReserveIn(Request request) {
        byte[] cdb = request.cdb();
        Snapshot state = request.lu().persistentReservation().snapshot();
        byte[] data = switch (Cdb.bits(cdb, 1, 0, 5)) {
            case READ_KEYS -> readKeys(state);
            case READ_RESERVATION -> readReservation(state);
            case REPORT_CAPABILITIES -> reportCapabilities(request.lu().persistentReservation(), state);
            case READ_FULL_STATUS -> readFullStatus(state);
            default -> throw Cdb.invalidField(1, 4);
        };
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, Cdb.u16(cdb, 7)));
    }

    private static byte[] readKeys(Snapshot state) {
        byte[] b = header(state, 8 * state.registrations().size());
        int at = 8;
        for (Registration registration : state.registrations()) {
            Cdb.put64(b, at, registration.key());
            at += 8;
        }
        return b;
    }

    /** Under an all registrants type there is no single holder, and the RESERVATION KEY is 0 (SPC-4 §6.14.3). */
    private static byte[] readReservation(Snapshot state) {
        Reservation reservation = state.reservation();
        byte[] b = header(state, reservation == null ? 0 : 16);
        if (reservation != null) {
            if (!reservation.type().allRegistrants) {
                state.registrations().stream().filter(state::isHolder).findFirst()
                        .ifPresent(holder -> Cdb.put64(b, 8, holder.key()));
            }
            b[21] = scopeAndType(reservation);
        }
        return b;
    }

    /**
     * CRH=0 (RESERVE/RELEASE conflict while keys are registered), SIP_C=1 (REGISTER takes SPEC_I_PT), ATP_C=1,
     * PTPL_C when a state directory exists; TMV=1 with ALLOW COMMANDS 011b: TEST UNIT READY passes every
     * reservation, and MODE SENSE, REPORT SUPPORTED OPERATION CODES and the like pass write exclusive ones. Every
     * type is supported.
     */
    private static byte[] reportCapabilities(ReservationState reservations, Snapshot state) {
        byte[] b = new byte[8];
        Cdb.put16(b, 0, b.length);
        b[2] = (byte) (0x08 | 0x04 | (reservations.canPersist() ? 0x01 : 0));
        b[3] = (byte) (0x80 | 0b011 << 4 | (state.persistThroughPowerLoss() ? 0x01 : 0));
        Cdb.put16(b, 4, PrType.typeMask());
        return b;
    }

    /** One descriptor per registration with its TransportID (SPC-4 §6.14.5). */
    private static byte[] readFullStatus(Snapshot state) {
        ByteArrayOutputStream descriptors = new ByteArrayOutputStream();
        for (Registration registration : state.registrations()) {
            byte[] transportId = IscsiTransportId.of(registration.nexus());
            byte[] d = new byte[24 + transportId.length];
            Cdb.put64(d, 0, registration.key());
            if (state.isHolder(registration)) {
                d[12] = 0x01; // R_HOLDER
                d[13] = scopeAndType(state.reservation());
            }
            Cdb.put16(d, 18, VpdPages.relativeTargetPort(registration.nexus()));
            Cdb.put32(d, 20, transportId.length);
            System.arraycopy(transportId, 0, d, 24, transportId.length);
            descriptors.writeBytes(d);
        }
        byte[] body = descriptors.toByteArray();
        byte[] b = header(state, body.length);
        System.arraycopy(body, 0, b, 8, body.length);
        return b;
    }

    /** PRGENERATION and ADDITIONAL LENGTH, followed by room for {@code length} bytes. */
    private static byte[] header(Snapshot state, int length) {
        byte[] b = new byte[8 + length];
        Cdb.put32(b, 0, Integer.toUnsignedLong(state.generation()));
        Cdb.put32(b, 4, length);
        return b;
    }

    private static byte scopeAndType(Reservation reservation) {
        return (byte) (SCOPE_LOGICAL_UNIT << 4 | reservation.type().code);
    }
}
