package dev.jtarget.scsi;

import dev.jtarget.scsi.CommandSpec.Sharing;
import dev.jtarget.scsi.CopyParameters.Segment;
import dev.jtarget.scsi.HeldCopyResults.CopyStatus;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * EXTENDED COPY (LID1) (SPC-4 §6.4): the logical unit addressed acts as copy manager and copies blocks between
 * logical units of this target (or within one), named by their NAA designators, without the data crossing the
 * network. VMware's XCOPY (clone, Storage vMotion) sends exactly this. Segments run one after the other, each in
 * chunks that take the destination's LBA range lock like any write.
 */
final class ExtendedCopy {
    /** A multiple of every block size, and small enough to bound the memory one copy holds. */
    private static final int CHUNK_BYTES = 1 << 20;

    private ExtendedCopy() {
    }

    /** How far a copy got, for COPY STATUS. The segments run one after the other, so no two threads write it. */
    private static final class Progress {
        int segments;
        long bytes;
    }

    /**
     * A PARAMETER LIST LENGTH of 0 copies nothing and is not an error (SPC-4 §6.4.1). When the LIST ID USAGE asks
     * for it, the outcome is held for RECEIVE COPY RESULTS, an error included.
     */
    static CompletableFuture<ScsiResponse> extendedCopy(Request request) {
        byte[] cdb = request.cdb();
        ScsiCommand command = request.command();
        long listLength = Cdb.u32(cdb, 10);
        if (listLength == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, 0));
        }
        if (listLength > CopyParameters.HEADER_LENGTH + CopyParameters.MAX_DESCRIPTOR_LIST_LENGTH) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] list = ByteBufUtil.getBytes(Transfers.dataOut(command, listLength));
        CopyParameters parameters = CopyParameters.parse(list, request.luns());
        ItNexus nexus = command.nexus();
        Progress progress = new Progress();
        CompletableFuture<Void> copied = CompletableFuture.completedFuture(null);
        for (Segment segment : parameters.segments()) {
            copied = copied.thenCompose(previous -> copySegment(parameters.targets(), segment, nexus, progress));
        }
        return copied.handle((done, failure) -> {
            if (parameters.held()) {
                request.lu().heldCopyResults().hold(nexus, parameters.listIdentifier(),
                        new CopyStatus(failure != null, progress.segments, progress.bytes));
            }
            if (failure != null) {
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }
            return Transfers.good(command, listLength);
        });
    }

    private static CompletableFuture<Void> copySegment(List<LogicalUnit> targets, Segment segment, ItNexus nexus,
                                                       Progress progress) {
        LogicalUnit source = target(targets, segment.sourceIndex());
        LogicalUnit destination = target(targets, segment.destinationIndex());
        // The copy manager works for the nexus that sent the command: the reservations it meets are that nexus's.
        if (source.accessConflicts(nexus, Sharing.READ) || destination.accessConflicts(nexus, Sharing.WRITE)) {
            throw new ReservationConflict();
        }
        if (destination.readOnly()) {
            throw new CheckCondition(Sense.COPY_TARGET_WRITE_PROTECTED);
        }
        long bytes = (long) segment.blocks()
                * (segment.destinationCount() ? destination.blockSize() : source.blockSize());
        if (bytes % source.blockSize() != 0 || bytes % destination.blockSize() != 0) {
            throw new CheckCondition(Sense.COPY_SEGMENT_FAILED);
        }
        LbaRange from = new LbaRange(segment.sourceLba(), bytes / source.blockSize());
        LbaRange to = new LbaRange(segment.destinationLba(), bytes / destination.blockSize());
        try {
            from.checkWithin(source.blockCount());
            to.checkWithin(destination.blockCount());
        } catch (CheckCondition outOfRange) {
            // The copy target's error reaches the initiator as an aborted copy (SPC-4 §6.4.5).
            throw new CheckCondition(Sense.COPY_SEGMENT_FAILED);
        }
        return copyBytes(source, from.lba() * source.blockSize(), destination, to.lba() * destination.blockSize(),
                bytes).thenRun(() -> {
                    progress.segments++;
                    progress.bytes += bytes;
                });
    }

    /** The logical unit of a target descriptor; a missing descriptor or an unknown unit cannot be reached. */
    private static LogicalUnit target(List<LogicalUnit> targets, int index) {
        LogicalUnit lu = index < targets.size() ? targets.get(index) : null;
        if (lu == null) {
            throw new CheckCondition(Sense.COPY_TARGET_DEVICE_NOT_REACHABLE);
        }
        return lu;
    }

    /**
     * Copies chunk by chunk. When source and destination overlap on one unit with the destination further on, the
     * chunks go from the end backwards, so every chunk is read before it is overwritten.
     */
    private static CompletableFuture<Void> copyBytes(LogicalUnit source, long sourceOffset, LogicalUnit destination,
                                                     long destinationOffset, long bytes) {
        boolean backwards = source == destination && destinationOffset > sourceOffset
                && destinationOffset < sourceOffset + bytes;
        boolean fua = destination.durable(false);
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        long chunks = Math.ceilDiv(bytes, CHUNK_BYTES);
        for (long i = 0; i < chunks; i++) {
            long offset = (backwards ? chunks - 1 - i : i) * CHUNK_BYTES;
            int length = (int) Math.min(CHUNK_BYTES, bytes - offset);
            long sourceLba = (sourceOffset + offset) / source.blockSize();
            long destinationLba = (destinationOffset + offset) / destination.blockSize();
            done = done.thenCompose(previous -> BlockIo.readShared(source, sourceLba, length).thenCompose(data ->
                    BlockIo.write(destination, destinationLba, data, fua).whenComplete((written, failure) ->
                            data.release())));
        }
        return done;
    }
}
