package dev.jtarget.scsi;

import dev.jtarget.scsi.CommandSpec.Sharing;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The persistent reservation of one logical unit (SPC-4 §5.9): the registered reservation keys, one per I_T nexus,
 * the reservation if there is one, and the PRgeneration counter. The PERSISTENT RESERVE OUT service actions change it
 * under the rules of SPC-4 §5.9.7-5.9.11, establish the unit attentions those rules ask for, and, when the last
 * registration asked for APTPL, have the state written to the {@link ReservationStore} before they complete.
 *
 * <p>Every target has one target port (one portal group), so registering "for all target ports" (ALL_TG_PT) and
 * registering for the port the command came through are the same thing here. Registrations are kept by I_T nexus
 * value, so SPEC_I_PT and REGISTER AND MOVE can register a nexus that has not logged in yet: it is registered (and
 * may hold the reservation) from its login on.
 *
 * <p>Thread-safe: every method runs under the object's lock, which no I/O is done under.
 */
final class ReservationState {

    /** A registered reservation key (SPC-4 §5.9.7): one I_T nexus and its key. */
    record Registration(ItNexus nexus, long key) {
    }

    /**
     * The persistent reservation: its type and the I_T nexus that created it. Under the all registrants types every
     * registered nexus is a holder, and {@code creator} only says who reserved.
     */
    record Reservation(ItNexus creator, PrType type) {
    }

    /** Everything a PERSISTENT RESERVE IN reports, and what APTPL stores, at one moment. */
    record Snapshot(int generation, List<Registration> registrations, Reservation reservation,
                    boolean persistThroughPowerLoss) {

        boolean isHolder(Registration registration) {
            return reservation != null
                    && (reservation.type().allRegistrants || reservation.creator().equals(registration.nexus()));
        }
    }

    private final UnitAttentions unitAttentions;
    private final ReservationStore store;
    private final List<Registration> registrations = new ArrayList<>();
    /** Volatile so that the check every command makes can skip the lock while there is no reservation. */
    private volatile Reservation reservation;
    private int generation;
    private boolean persistThroughPowerLoss;
    private CompletableFuture<Void> lastWrite = CompletableFuture.completedFuture(null);

    /**
     * @param store where APTPL state lives, or null when this logical unit cannot persist it (PTPL_C=0); the state
     *              it holds, if any, is loaded now
     */
    ReservationState(UnitAttentions unitAttentions, ReservationStore store) {
        this.unitAttentions = unitAttentions;
        this.store = store;
        Snapshot saved = store != null ? store.load() : null;
        if (saved != null) {
            generation = saved.generation();
            registrations.addAll(saved.registrations());
            reservation = saved.reservation();
            persistThroughPowerLoss = true;
        }
    }

    /** PTPL_C: whether REGISTER may set APTPL. */
    boolean canPersist() {
        return store != null;
    }

    synchronized Snapshot snapshot() {
        return new Snapshot(generation, List.copyOf(registrations), reservation, persistThroughPowerLoss);
    }

    /** Whether any I_T nexus is registered: then SPC-2 RESERVE and RELEASE conflict (SPC-4 §5.9.3, CRH=0). */
    synchronized boolean hasRegistrations() {
        return !registrations.isEmpty();
    }

    /**
     * Whether a command from {@code nexus} that shares the medium as {@code sharing} says must end in RESERVATION
     * CONFLICT (SPC-4 §5.9.1): never for a holder, nor for a registrant under the registrants only and all
     * registrants types; otherwise writes always do and reads do under the exclusive access types.
     */
    boolean conflicts(ItNexus nexus, Sharing sharing) {
        if (reservation == null || sharing == Sharing.ALLOWED) {
            return false;
        }
        synchronized (this) {
            return conflictsLocked(nexus, sharing);
        }
    }

    private boolean conflictsLocked(ItNexus nexus, Sharing sharing) {
        if (reservation == null) {
            return false;
        }
        Registration registration = find(nexus);
        if (registration != null && (reservation.type().registrantsShare || isHolder(nexus))) {
            return false;
        }
        return sharing == Sharing.WRITE || reservation.type().exclusiveAccess;
    }

    /**
     * REGISTER, or REGISTER AND IGNORE EXISTING KEY when {@code ignoreExistingKey} (SPC-4 §5.9.7): registers, changes
     * or (with a service action key of 0) removes the key of {@code nexus}. The APTPL bit of a registration that
     * changed anything decides whether the state survives power loss from now on.
     */
    synchronized CompletableFuture<Void> register(ItNexus nexus, long reservationKey, long serviceActionKey,
                                                  boolean ignoreExistingKey, boolean aptpl) {
        Registration current = find(nexus);
        long expectedKey = current == null ? 0 : current.key();
        if (!ignoreExistingKey && reservationKey != expectedKey) {
            throw new ReservationConflict();
        }
        if (current == null && serviceActionKey == 0) {
            return CompletableFuture.completedFuture(null); // nothing to register or to remove
        }
        if (current == null) {
            registrations.add(new Registration(nexus, serviceActionKey));
        } else if (serviceActionKey == 0) {
            unregister(current);
        } else {
            registrations.set(registrations.indexOf(current), new Registration(nexus, serviceActionKey));
        }
        generation++;
        persistThroughPowerLoss = aptpl;
        return changed();
    }

    /**
     * REGISTER with SPEC_I_PT=1 (SPC-4 §5.9.7 Table 67): registers the unregistered nexus that sent it and every
     * nexus in {@code ports} with the service action key, all or none. A registered sender may not use SPEC_I_PT,
     * and a named nexus that is already registered makes the whole command fail; both are INVALID FIELD IN
     * PARAMETER LIST.
     */
    synchronized CompletableFuture<Void> registerWithSpecifiedPorts(ItNexus nexus, long reservationKey,
                                                                    long serviceActionKey, boolean aptpl,
                                                                    List<ItNexus> ports) {
        Registration current = find(nexus);
        if (reservationKey != (current == null ? 0 : current.key())) {
            throw new ReservationConflict();
        }
        if (current != null) {
            // Points at the SPEC_I_PT bit of the parameter list.
            throw new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(20, 3));
        }
        if (serviceActionKey == 0) {
            return CompletableFuture.completedFuture(null); // Table 67: nothing to register
        }
        // The sender naming itself, or a port named twice, asks for one registration, not a second.
        Set<ItNexus> registering = new LinkedHashSet<>();
        registering.add(nexus);
        registering.addAll(ports);
        if (registering.stream().anyMatch(port -> find(port) != null)) {
            throw new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        registering.forEach(port -> registrations.add(new Registration(port, serviceActionKey)));
        generation++;
        persistThroughPowerLoss = aptpl;
        return changed();
    }

    /**
     * REGISTER AND MOVE (SPC-4 §5.9.8 Table 70): the holder hands its reservation, same scope and type, to
     * {@code destination}, which is registered with the service action key (replacing a key it had); with UNREG the
     * sender then unregisters. Only a single holder can move: under an all registrants type, or from anyone but the
     * holder, it is a conflict; without a reservation it is INVALID FIELD IN CDB. SPC-4 asks for no unit attention:
     * the reservation's type, and so everyone else's access, stays as it was.
     */
    synchronized CompletableFuture<Void> registerAndMove(ItNexus nexus, long reservationKey, long serviceActionKey,
                                                         ItNexus destination, boolean unregister, boolean aptpl) {
        checkRegistered(nexus, reservationKey);
        if (serviceActionKey == 0) {
            throw new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(8, -1));
        }
        if (reservation == null) {
            throw new CheckCondition(Sense.INVALID_FIELD_IN_CDB);
        }
        if (reservation.type().allRegistrants || !isHolder(nexus)) {
            throw new ReservationConflict();
        }
        Registration registered = find(destination);
        Registration moved = new Registration(destination, serviceActionKey);
        if (registered == null) {
            registrations.add(moved);
        } else {
            registrations.set(registrations.indexOf(registered), moved);
        }
        reservation = new Reservation(destination, reservation.type());
        if (unregister) {
            unregister(find(nexus)); // no longer the holder: this removes the key and nothing else
        }
        generation++;
        persistThroughPowerLoss = aptpl;
        return changed();
    }

    /**
     * RESERVE (SPC-4 §5.9.9): creates the reservation, or succeeds without change when {@code nexus} already holds
     * one of the same type. A reservation held by others, or of another type, conflicts.
     */
    synchronized CompletableFuture<Void> reserve(ItNexus nexus, long reservationKey, PrType type) {
        checkRegistered(nexus, reservationKey);
        if (reservation == null) {
            reservation = new Reservation(nexus, type);
            return changed();
        }
        if (isHolder(nexus) && reservation.type() == type) {
            return CompletableFuture.completedFuture(null);
        }
        throw new ReservationConflict();
    }

    /**
     * RELEASE (SPC-4 §5.9.11.2): a holder ends the reservation, naming its type; anyone else changes nothing. The
     * registrants of a registrants only or all registrants reservation learn of it (RESERVATIONS RELEASED).
     */
    synchronized CompletableFuture<Void> release(ItNexus nexus, long reservationKey, PrType type) {
        checkRegistered(nexus, reservationKey);
        if (reservation == null || !isHolder(nexus)) {
            return CompletableFuture.completedFuture(null);
        }
        if (reservation.type() != type) {
            throw new CheckCondition(Sense.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
        }
        PrType released = reservation.type();
        reservation = null;
        if (released.registrantsShare) {
            tellRegistrants(n -> !n.equals(nexus), Sense.RESERVATIONS_RELEASED);
        }
        return changed();
    }

    /** CLEAR (SPC-4 §5.9.11.6): removes the reservation and every registration; the others are told. */
    synchronized CompletableFuture<Void> clear(ItNexus nexus, long reservationKey) {
        checkRegistered(nexus, reservationKey);
        tellRegistrants(n -> !n.equals(nexus), Sense.RESERVATIONS_PREEMPTED);
        registrations.clear();
        reservation = null;
        generation++;
        return changed();
    }

    /**
     * PREEMPT and PREEMPT AND ABORT (SPC-4 §5.9.11.4): removes the registrations with the service action key, and
     * when that key is the holder's (or 0 under an all registrants reservation) takes the reservation over with the
     * given type. The nexus that sends it keeps its own registration. Returns the nexuses that lost theirs, whose
     * commands PREEMPT AND ABORT must see finished before it completes; the write to the store comes with them.
     */
    synchronized Preemption preempt(ItNexus nexus, long reservationKey, long serviceActionKey, PrType type) {
        checkRegistered(nexus, reservationKey);
        List<ItNexus> removed;
        if (reservation == null || !preemptsHolder(serviceActionKey)) {
            if (serviceActionKey == 0) {
                // Only an all registrants reservation can be preempted with key 0 (SPC-4 §5.9.11.4.3).
                throw new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(8, -1));
            }
            removed = removeRegistrations(nexus, serviceActionKey);
        } else {
            PrType previous = reservation.type();
            removed = previous.allRegistrants ? removeAllRegistrationsBut(nexus)
                    : removeRegistrations(nexus, serviceActionKey);
            reservation = new Reservation(nexus, type);
            if (previous != type) {
                tellRegistrants(n -> !n.equals(nexus), Sense.RESERVATIONS_RELEASED);
            }
        }
        unitAttentions.establishFor(removed, Sense.REGISTRATIONS_PREEMPTED);
        generation++;
        return new Preemption(Set.copyOf(removed), changed());
    }

    /** What a PREEMPT did: the nexuses that lost their registrations, and the write of the new state. */
    record Preemption(Set<ItNexus> preempted, CompletableFuture<Void> stored) {
    }

    /** A reservation is taken over when the key is its holder's, or 0 under an all registrants type. */
    private boolean preemptsHolder(long serviceActionKey) {
        if (reservation.type().allRegistrants) {
            return serviceActionKey == 0;
        }
        Registration holder = find(reservation.creator());
        return holder != null && holder.key() == serviceActionKey;
    }

    /** Removes every registration with {@code key} but that of {@code keeper}; none having it is a conflict. */
    private List<ItNexus> removeRegistrations(ItNexus keeper, long key) {
        if (registrations.stream().noneMatch(r -> r.key() == key)) {
            throw new ReservationConflict();
        }
        return removeWhere(r -> r.key() == key && !r.nexus().equals(keeper));
    }

    private List<ItNexus> removeAllRegistrationsBut(ItNexus keeper) {
        return removeWhere(r -> !r.nexus().equals(keeper));
    }

    private List<ItNexus> removeWhere(Predicate<Registration> condition) {
        List<ItNexus> removed = new ArrayList<>();
        registrations.removeIf(r -> {
            if (condition.test(r)) {
                removed.add(r.nexus());
                return true;
            }
            return false;
        });
        return removed;
    }

    /**
     * Removing a registration (SPC-4 §5.9.11.2.3) ends a reservation its nexus held, unless it is an all registrants
     * reservation with registrants left; the other registrants of a registrants only reservation are told.
     */
    private void unregister(Registration registration) {
        ItNexus nexus = registration.nexus();
        boolean holder = isHolder(nexus);
        registrations.remove(registration);
        if (!holder) {
            return;
        }
        PrType type = reservation.type();
        if (!type.allRegistrants) {
            reservation = null;
            if (type.registrantsShare) {
                tellRegistrants(n -> !n.equals(nexus), Sense.RESERVATIONS_RELEASED);
            }
        } else if (registrations.isEmpty()) {
            reservation = null;
        }
    }

    private void checkRegistered(ItNexus nexus, long reservationKey) {
        Registration registration = find(nexus);
        if (registration == null || registration.key() != reservationKey) {
            throw new ReservationConflict();
        }
    }

    private boolean isHolder(ItNexus nexus) {
        if (reservation == null) {
            return false;
        }
        return reservation.type().allRegistrants ? find(nexus) != null : reservation.creator().equals(nexus);
    }

    private Registration find(ItNexus nexus) {
        for (Registration registration : registrations) {
            if (registration.nexus().equals(nexus)) {
                return registration;
            }
        }
        return null;
    }

    private void tellRegistrants(Predicate<ItNexus> which, Sense condition) {
        unitAttentions.establishFor(registrations.stream().map(Registration::nexus).filter(which).toList(),
                condition);
    }

    /**
     * Queues the write of the new state (or the removal of the stored one once APTPL is off) behind earlier writes,
     * so the file always ends up holding the latest state; the command completes when its own write is done.
     */
    private CompletableFuture<Void> changed() {
        if (store == null) {
            return CompletableFuture.completedFuture(null);
        }
        Snapshot state = persistThroughPowerLoss ? snapshot() : null;
        lastWrite = lastWrite.exceptionally(failure -> null).thenRunAsync(() -> store.replace(state), store.executor());
        return lastWrite;
    }
}
