package dev.jtarget.scsi;

import dev.jtarget.scsi.CommandSpec.Admission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device server of one iSCSI target: routes each command to its logical unit, applies the rules every command
 * shares (LUN existence, unit attentions, CDB validation, SPC-2 and persistent reservations) and turns any failure
 * into CHECK CONDITION or RESERVATION CONFLICT.
 */
public final class ScsiTarget implements ScsiTargetDevice {
    private static final Logger log = LoggerFactory.getLogger(ScsiTarget.class);
    /** The largest LUN the flat space addressing method of REPORT LUNS can carry (SAM-5 §4.7.7). */
    static final int MAX_LUN = 16383;

    private final String targetName;
    private final Map<Integer, LogicalUnit> luns;
    private final List<LogicalUnit> inLunOrder;

    public ScsiTarget(String targetName, List<LogicalUnit> luns) {
        Map<Integer, LogicalUnit> byId = new HashMap<>();
        for (LogicalUnit lu : luns) {
            if (lu.id() < 0 || lu.id() > MAX_LUN) {
                throw new IllegalArgumentException(targetName + ": LUN " + lu.id() + " is outside 0.." + MAX_LUN);
            }
            if (byId.put(lu.id(), lu) != null) {
                throw new IllegalArgumentException(targetName + ": LUN " + lu.id() + " is defined twice");
            }
        }
        this.targetName = targetName;
        this.luns = Map.copyOf(byId);
        List<LogicalUnit> sorted = new ArrayList<>(byId.values());
        sorted.sort(Comparator.comparingInt(LogicalUnit::id));
        this.inLunOrder = List.copyOf(sorted);
    }

    @Override
    public CompletableFuture<ScsiResponse> execute(ScsiCommand command) {
        LogicalUnit lu = luns.get(command.lun());
        try {
            return dispatch(command, lu)
                    .handle((response, failure) -> failure == null ? response : failed(command, lu, failure));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(failed(command, lu, e));
        }
    }

    private CompletableFuture<ScsiResponse> dispatch(ScsiCommand command, LogicalUnit lu) {
        byte[] cdb = command.cdb();
        CommandSpec spec = CommandTable.lookup(cdb);
        Admission admission = spec == null ? Admission.NORMAL : spec.admission();
        if (admission != Admission.ALWAYS) {
            if (lu == null) {
                throw new CheckCondition(Sense.LOGICAL_UNIT_NOT_SUPPORTED);
            }
            // SAM-5 §5.14: any other command, even an invalid one, reports the oldest unit attention instead.
            Sense unitAttention = lu.unitAttentions().take(command.nexus());
            if (unitAttention != null) {
                throw new CheckCondition(unitAttention);
            }
        }
        if (spec == null) {
            throw CommandTable.unsupported(cdb);
        }
        spec.validate(cdb);
        if (lu == null) {
            return spec.handler().execute(new Request(command, null, inLunOrder));
        }
        ItNexus nexus = command.nexus();
        if (admission == Admission.NORMAL && lu.accessConflicts(nexus, spec.sharing().of(cdb))) {
            throw new ReservationConflict();
        }
        return lu.inFlight().track(nexus, spec.handler().execute(new Request(command, lu, inLunOrder)));
    }

    private static ScsiResponse failed(ScsiCommand command, LogicalUnit lu, Throwable failure) {
        if (Failures.unwrap(failure) instanceof ReservationConflict) {
            return new ScsiResponse(ScsiResponse.RESERVATION_CONFLICT, null, null, ScsiResponse.Residual.NONE, 0);
        }
        Sense sense = Failures.toSense(failure, command);
        return ScsiResponse.checkCondition(lu != null ? lu.encode(sense) : sense.encode(false));
    }

    @Override
    public void nexusLoggedIn(ItNexus nexus) {
        luns.values().forEach(lu -> lu.nexusLoggedIn(nexus));
    }

    @Override
    public void nexusLoggedOut(ItNexus nexus) {
        luns.values().forEach(lu -> lu.nexusLoggedOut(nexus));
    }

    /** SAM-5 §7.7: every nexus learns of it through BUS DEVICE RESET FUNCTION OCCURRED (29h/03h). */
    @Override
    public void logicalUnitReset(ItNexus by, int lun) {
        LogicalUnit lu = luns.get(lun);
        if (lu != null) {
            lu.reset(Sense.BUS_DEVICE_RESET_FUNCTION);
        }
    }

    @Override
    public void targetReset(ItNexus by) {
        luns.values().forEach(lu -> lu.reset(Sense.POWER_ON_OR_RESET));
    }

    @Override
    public boolean hasLun(int lun) {
        return luns.containsKey(lun);
    }

    @Override
    public CompletableFuture<Void> flushAll() {
        return CompletableFuture.allOf(luns.values().stream().map(LogicalUnit::flush)
                .toArray(CompletableFuture[]::new));
    }

    @Override
    public void close() {
        for (LogicalUnit lu : luns.values()) {
            try {
                lu.close();
            } catch (RuntimeException e) {
                log.warn("{}: closing {} failed", targetName, lu, e);
            }
        }
    }

    @Override
    public String toString() {
        return targetName + " " + inLunOrder.stream().map(LogicalUnit::id).toList();
    }
}
