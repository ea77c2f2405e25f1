package dev.jtarget.scsi;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The commands of one logical unit that passed the dispatcher's checks and have not completed, per I_T nexus. PREEMPT
 * AND ABORT uses it to finish only when no command of a preempted nexus can still touch the medium (SPC-4 §5.9.11.5).
 */
final class InFlightCommands {
    private final Map<ItNexus, Set<CompletableFuture<?>>> byNexus = new ConcurrentHashMap<>();

    /** Counts {@code command} as in flight for {@code nexus} until it completes; returns it. */
    <T> CompletableFuture<T> track(ItNexus nexus, CompletableFuture<T> command) {
        Set<CompletableFuture<?>> commands = byNexus.computeIfAbsent(nexus, n -> ConcurrentHashMap.newKeySet());
        commands.add(command);
        command.whenComplete((result, failure) -> commands.remove(command));
        return command;
    }

    /** Completes once every command of {@code nexuses} in flight now has completed, however it ended. */
    CompletableFuture<Void> drained(Collection<ItNexus> nexuses) {
        CompletableFuture<?>[] pending = nexuses.stream()
                .flatMap(nexus -> byNexus.getOrDefault(nexus, Set.of()).stream())
                .map(command -> command.handle((result, failure) -> null))
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(pending);
    }

    /**
     * A nexus that logged out sends nothing more: its entry goes once the commands it left in flight are done, unless
     * the nexus has logged in again and sent new ones by then.
     */
    void nexusLoggedOut(ItNexus nexus) {
        Set<CompletableFuture<?>> commands = byNexus.get(nexus);
        if (commands == null) {
            return;
        }
        drained(Set.of(nexus)).whenComplete((done, failure) -> byNexus.computeIfPresent(nexus, (n, current) -> {
            current.removeIf(CompletableFuture::isDone);
            return current == commands && current.isEmpty() ? null : current;
        }));
    }
}
