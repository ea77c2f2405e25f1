package dev.jtarget.scsi;

import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** SYNCHRONIZE CACHE and PRE-FETCH (10) and (16) (SBC-3 §5.18, §5.22-5.23). */
final class CacheCommands {
    private static final Logger log = LoggerFactory.getLogger(CacheCommands.class);

    private CacheCommands() {
    }

    /**
     * Flushes the whole backend (a range flush would not be cheaper for any backend we have), then returns GOOD, so
     * every write completed before this command is durable when the initiator sees GOOD.
     *
     * <p>IMMED=1 asks for status once the CDB is checked (SBC-3 §5.22). We honour it by starting the flush and
     * answering at once; the initiator then has no durability promise until a SYNCHRONIZE CACHE without IMMED
     * completes, and a failure of this flush is only logged (a later flush reports the backend's error).
     */
    static CompletableFuture<ScsiResponse> synchronizeCache(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        ScsiCommand command = request.command();
        checkRange(cdb, lu);
        CompletableFuture<Void> flush = lu.flush();
        if (Cdb.bit(cdb, 1, 1)) {
            flush.whenComplete((done, failure) -> {
                if (failure != null) {
                    log.warn("LUN {}: SYNCHRONIZE CACHE with IMMED failed after GOOD was sent", lu.id(), failure);
                }
            });
            return CompletableFuture.completedFuture(Transfers.good(command, 0));
        }
        return flush.thenApply(done -> Transfers.good(command, 0));
    }

    /**
     * There is no read cache at this layer to fill, so PRE-FETCH only checks the range and returns GOOD, which SBC-3
     * §5.18 defines as "the blocks may not all be in cache" (CONDITION MET would promise they are).
     */
    static CompletableFuture<ScsiResponse> preFetch(Request request) {
        checkRange(request.cdb(), request.lu());
        return CompletableFuture.completedFuture(Transfers.good(request.command(), 0));
    }

    /** NUMBER OF LOGICAL BLOCKS 0 means "to the last LBA", so only the start has to lie on the medium then. */
    private static void checkRange(byte[] cdb, LogicalUnit lu) {
        LbaRange.of(cdb).checkWithin(lu.blockCount());
    }
}
