package dev.jtarget.iscsi.session;

import dev.jtarget.scsi.ItNexus;
import dev.jtarget.scsi.ScsiCommand;
import dev.jtarget.scsi.ScsiResponse;
import dev.jtarget.scsi.ScsiTargetDevice;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/**
 * A SCSI device that can hold commands in execution: while holding, {@link #execute} returns a future that
 * completes only when the test calls {@link #releaseAll()}, which stands in for a slow disk.
 */
final class HeldCommands implements ScsiTargetDevice {
    private record Held(ScsiCommand command, CompletableFuture<ScsiResponse> answer) {
    }

    private final ScsiTargetDevice device;
    private final Deque<Held> held = new ArrayDeque<>();
    private boolean holding;

    HeldCommands(ScsiTargetDevice device) {
        this.device = device;
    }

    void hold() {
        holding = true;
    }

    int heldCount() {
        return held.size();
    }

    /** Stops holding and runs every held command; their answers complete on the calling thread. */
    void releaseAll() {
        holding = false;
        for (Held command; (command = held.poll()) != null; ) {
            Held running = command;
            device.execute(running.command()).whenComplete((response, failure) -> {
                if (failure != null) {
                    running.answer().completeExceptionally(failure);
                } else {
                    running.answer().complete(response);
                }
            });
        }
    }

    @Override
    public CompletableFuture<ScsiResponse> execute(ScsiCommand command) {
        if (!holding) {
            return device.execute(command);
        }
        CompletableFuture<ScsiResponse> answer = new CompletableFuture<>();
        held.add(new Held(command, answer));
        return answer;
    }

    @Override
    public void nexusLoggedIn(ItNexus nexus) {
        device.nexusLoggedIn(nexus);
    }

    @Override
    public void nexusLoggedOut(ItNexus nexus) {
        device.nexusLoggedOut(nexus);
    }

    @Override
    public void logicalUnitReset(ItNexus by, int lun) {
        device.logicalUnitReset(by, lun);
    }

    @Override
    public void targetReset(ItNexus by) {
        device.targetReset(by);
    }

    @Override
    public boolean hasLun(int lun) {
        return device.hasLun(lun);
    }

    @Override
    public CompletableFuture<Void> flushAll() {
        return device.flushAll();
    }

    @Override
    public void close() {
        device.close();
    }
}
