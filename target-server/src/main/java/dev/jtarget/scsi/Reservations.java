package dev.jtarget.scsi;

import java.util.concurrent.CompletableFuture;

/**
 * RESERVE(6)/(10) and RELEASE(6)/(10): SPC-2 logical unit reservations (SPC-2 §7.21-7.24), still used by old
 * clustering software. Only whole-unit reservations exist (extents and third-party reservations were dropped).
 * While one nexus holds the reservation, the dispatcher answers RESERVATION CONFLICT to the others for everything
 * but INQUIRY, REPORT LUNS, REQUEST SENSE and RELEASE, PERSISTENT RESERVE IN and OUT included. A reset, or the
 * holder's logout, releases it.
 */
final class Reservations {
    private Reservations() {
    }

    /** Granted when free or already ours (a repeated RESERVE by the holder succeeds). */
    static CompletableFuture<ScsiResponse> reserve(Request request) {
        checkNoRegistrations(request.lu());
        ItNexus nexus = request.command().nexus();
        ItNexus holder = request.lu().reservationHolder().compareAndExchange(null, nexus);
        if (holder != null && !holder.equals(nexus)) {
            throw new ReservationConflict();
        }
        return CompletableFuture.completedFuture(Transfers.good(request.command(), 0));
    }

    /** Releasing a reservation held by another nexus, or none, is GOOD and changes nothing (SPC-2 §7.17). */
    static CompletableFuture<ScsiResponse> release(Request request) {
        checkNoRegistrations(request.lu());
        request.lu().reservationHolder().compareAndSet(request.command().nexus(), null);
        return CompletableFuture.completedFuture(Transfers.good(request.command(), 0));
    }

    /**
     * While any reservation key is registered, RESERVE and RELEASE conflict whoever sends them (SPC-4 §5.9.3 with
     * CRH=0): the two kinds of reservation are not mixed.
     */
    private static void checkNoRegistrations(LogicalUnit lu) {
        if (lu.persistentReservation().hasRegistrations()) {
            throw new ReservationConflict();
        }
    }
}
