package dev.jtarget.scsi;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.config.ClonePerInitiatorConfig;
import dev.jtarget.config.LunConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * One direct-access block device (SBC-3) on top of a {@link BlockBackend}: its geometry, mode parameters, unit
 * attentions, SPC-2 and persistent reservations, LBA range locks and commands in flight. The command classes read
 * and change this state; the {@link ScsiTarget} routes commands here.
 *
 * <p>Durability: with WCE=1 a write is handed to the backend without FUA and SYNCHRONIZE CACHE flushes; with WCE=0,
 * or FUA=1, the write is durable before it completes ({@link #durable}). A write-back cache can therefore sit below
 * as a {@link BlockBackend} decorator without this class knowing.
 */
public final class LogicalUnit {
    /**
     * 4 KiB is the page size of the page cache and the block size of the file systems below us: a smaller or
     * misaligned write costs a read-modify-write there, and hole punching frees whole pages only.
     */
    private static final int PAGE_BYTES = 4096;

    private final int id;
    private final BlockBackend backend;
    private final int blockSize;
    private final int blocksPerPhysicalBlockExponent;
    private final int optimalGranularity;
    private final long blockCount;
    private final boolean readOnly;
    private final BackendCapabilities capabilities;
    private final BlockLimits limits;
    private final DeviceIdentity identity;
    private final ModeValues defaultMode;
    private final AtomicReference<ModeValues> mode;
    private final UnitAttentions unitAttentions = new UnitAttentions();
    private final LbaRangeLocks rangeLocks = new LbaRangeLocks();
    private final AtomicReference<ItNexus> reservationHolder = new AtomicReference<>();
    private final ReservationState persistentReservation;
    private final InFlightCommands inFlight = new InFlightCommands();
    private final HeldCopyResults heldCopyResults = new HeldCopyResults();
    /** The space this unit's blocks come from is above its soft threshold (see {@link #softThresholdReached}). */
    private volatile boolean aboveSoftThreshold;

    private LogicalUnit(int id, BlockBackend backend, int blockSize, int physicalBlockSize, boolean readOnly,
                        DeviceIdentity identity, boolean writeCache, ReservationStore reservationStore) {
        this.id = id;
        this.backend = backend;
        this.blockSize = blockSize;
        this.blocksPerPhysicalBlockExponent = Integer.numberOfTrailingZeros(physicalBlockSize / blockSize);
        int pageBlocks = Math.max(1, Math.max(PAGE_BYTES, backend.blockSize()) / blockSize);
        this.optimalGranularity = Math.max(pageBlocks, physicalBlockSize / blockSize);
        this.blockCount = backend.sizeBytes() / blockSize;
        this.capabilities = backend.capabilities();
        this.readOnly = readOnly || capabilities.readOnly();
        this.limits = BlockLimits.of(blockSize, capabilities.canDiscard(), pageBlocks);
        this.identity = identity;
        this.defaultMode = new ModeValues(writeCache, false);
        this.mode = new AtomicReference<>(defaultMode);
        this.persistentReservation = new ReservationState(unitAttentions, reservationStore);
    }

    /** {@link #create(String, LunConfig, BlockBackend, Path)} without a state directory: APTPL is not supported. */
    public static LogicalUnit create(String targetName, LunConfig config, BlockBackend backend) {
        return create(targetName, config, backend, null);
    }

    /**
     * A logical unit with the id, block sizes, write cache and read-only setting of {@code config}; the backend's size
     * is the capacity (rounded down to whole blocks).
     *
     * @param stateDirectory where persistent reservations registered with APTPL=1 are kept across restarts (and
     *                       loaded from now), or null: then REGISTER refuses APTPL=1 (PTPL_C=0)
     * @throws IllegalArgumentException when the block size is not a multiple of the backend's block size (we never
     *                                  do read-modify-write), the physical block size is not the block size times
     *                                  2^0 to 2^15, or the backend holds no whole block
     * @throws java.io.UncheckedIOException when stored reservations exist but cannot be read
     */
    public static LogicalUnit create(String targetName, LunConfig config, BlockBackend backend, Path stateDirectory) {
        checkGeometry(config.id(), config.blockSize(), config.physicalBlockSize(), backend);
        ReservationStore store = stateDirectory == null ? null
                : ReservationStore.forLun(stateDirectory, targetName, config.id());
        return new LogicalUnit(config.id(), backend, config.blockSize(), config.physicalBlockSize(), config.readOnly(),
                DeviceIdentity.derive(targetName, config.id()), config.writeCache(), store);
    }

    /**
     * The logical unit of {@code initiatorName}'s own clone: its serial number and NAA identifier are derived from the
     * target, the initiator and the LUN id, so each initiator sees a disk of its own that keeps its identity across
     * logins and restarts. APTPL is not supported (each clone would need its own reservation store).
     *
     * @throws IllegalArgumentException as {@link #create(String, LunConfig, BlockBackend, Path)}
     */
    public static LogicalUnit createClone(String targetName, String initiatorName, ClonePerInitiatorConfig config,
                                          BlockBackend backend) {
        checkGeometry(config.lunId(), config.blockSize(), config.blockSize(), backend);
        return new LogicalUnit(config.lunId(), backend, config.blockSize(), config.blockSize(), false,
                DeviceIdentity.derive(targetName, initiatorName, config.lunId()), config.writeCache(), null);
    }

    private static void checkGeometry(int id, int blockSize, int physicalBlockSize, BlockBackend backend) {
        if (blockSize < 512 || Integer.bitCount(blockSize) != 1 || blockSize % backend.blockSize() != 0) {
            throw new IllegalArgumentException("LUN " + id + ": block size " + blockSize
                    + " is not a power of two >= 512 and a multiple of the backend's " + backend.blockSize());
        }
        if (!LunConfig.isPhysicalBlockSizeOf(physicalBlockSize, blockSize)) {
            throw new IllegalArgumentException("LUN " + id + ": physical block size " + physicalBlockSize
                    + " is not block size " + blockSize + " times 2^0 to 2^15");
        }
        if (backend.sizeBytes() < blockSize) {
            throw new IllegalArgumentException("LUN " + id + ": " + backend.describe() + " is smaller than one block");
        }
    }

    public int id() {
        return id;
    }

    BlockBackend backend() {
        return backend;
    }

    int blockSize() {
        return blockSize;
    }

    /**
     * READ CAPACITY(16)'s LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT: the configured physical block size, which
     * initiators align partitions and I/O to. It stays 0 (one logical block per physical block) unless configured,
     * although the backend's pages are 4 KiB: libiscsi 1.19's GET LBA STATUS test, run against such a LUN, expects
     * a first descriptor that does not start at the requested LBA, which contradicts SBC-3 §5.14.
     */
    int blocksPerPhysicalBlockExponent() {
        return blocksPerPhysicalBlockExponent;
    }

    /**
     * The OPTIMAL TRANSFER LENGTH GRANULARITY and OPTIMAL UNMAP GRANULARITY hints, in blocks: whole physical blocks
     * (SBC-3 §4.6: writing part of one costs the device a read-modify-write) and whole pages of the backend (the
     * same cost in the page cache, and hole punching frees whole pages only), whichever is larger; both are powers
     * of two, so that is a multiple of both.
     */
    int optimalGranularity() {
        return optimalGranularity;
    }

    long blockCount() {
        return blockCount;
    }

    boolean readOnly() {
        return readOnly;
    }

    boolean canDiscard() {
        return capabilities.canDiscard();
    }

    /** Discarded blocks read back as zeros (LBPRZ); only meaningful when {@link #canDiscard()}. */
    boolean discardReadsZeros() {
        return capabilities.canDiscard() && capabilities.discardReadsZeros();
    }

    BlockLimits limits() {
        return limits;
    }

    DeviceIdentity identity() {
        return identity;
    }

    ModeValues mode() {
        return mode.get();
    }

    ModeValues defaultMode() {
        return defaultMode;
    }

    UnitAttentions unitAttentions() {
        return unitAttentions;
    }

    LbaRangeLocks rangeLocks() {
        return rangeLocks;
    }

    AtomicReference<ItNexus> reservationHolder() {
        return reservationHolder;
    }

    ReservationState persistentReservation() {
        return persistentReservation;
    }

    InFlightCommands inFlight() {
        return inFlight;
    }

    HeldCopyResults heldCopyResults() {
        return heldCopyResults;
    }

    /**
     * Whether a command from {@code nexus} must end in RESERVATION CONFLICT: another nexus holds the SPC-2
     * reservation (every command conflicts then), or the persistent reservation forbids this kind of access.
     */
    boolean accessConflicts(ItNexus nexus, CommandSpec.Sharing sharing) {
        ItNexus holder = reservationHolder.get();
        return holder != null && !holder.equals(nexus) || persistentReservation.conflicts(nexus, sharing);
    }

    /** Sense bytes in the format the control page's D_SENSE selects. */
    byte[] encode(Sense sense) {
        return sense.encode(mode().descriptorSense());
    }

    /** Whether a write must be durable before it completes: FUA asked for it, or the write cache is off. */
    boolean durable(boolean forceUnitAccess) {
        return forceUnitAccess || !mode().writeCacheEnabled();
    }

    CompletableFuture<Void> flush() {
        return BlockIo.call(backend::flush);
    }

    /**
     * Applies a MODE SELECT: {@code change} computes the new values from the current ones (and may throw a
     * {@link CheckCondition}). Other nexuses get MODE PARAMETERS CHANGED (SPC-4 §7.5.1). Turning the write cache off
     * clears WCE first, so later writes use FUA, and then flushes, so writes acknowledged from the cache earlier are
     * durable before MODE SELECT completes (SBC-3 §4.13: with WCE=0 completed writes are on the medium).
     */
    CompletableFuture<Void> changeMode(ItNexus source, UnaryOperator<ModeValues> change) {
        ModeValues previous;
        ModeValues next;
        synchronized (mode) {
            previous = mode.get();
            next = change.apply(previous);
            mode.set(next);
        }
        if (previous.equals(next)) {
            return CompletableFuture.completedFuture(null);
        }
        unitAttentions.establishForOthers(source, Sense.MODE_PARAMETERS_CHANGED);
        return previous.writeCacheEnabled() && !next.writeCacheEnabled()
                ? flush() : CompletableFuture.completedFuture(null);
    }

    void nexusLoggedIn(ItNexus nexus) {
        unitAttentions.nexusLoggedIn(nexus);
        if (aboveSoftThreshold) {
            // A nexus that logs in while the space is short is told as well: it never saw the crossing.
            unitAttentions.establishFor(List.of(nexus), Sense.THIN_PROVISIONING_SOFT_THRESHOLD_REACHED);
        }
    }

    /**
     * The space this unit's blocks are provisioned from crossed its soft threshold: upwards ({@code reached}), and
     * every logged-in nexus gets THIN PROVISIONING SOFT THRESHOLD REACHED once (SBC-3 §4.7.3.7.6 with SITUA=0: on
     * every I_T nexus), or downwards, which re-arms the threshold.
     */
    public void softThresholdReached(boolean reached) {
        aboveSoftThreshold = reached;
        if (reached) {
            unitAttentions.establishForAll(Sense.THIN_PROVISIONING_SOFT_THRESHOLD_REACHED);
        }
    }

    /** I_T nexus loss releases that nexus's SPC-2 reservation (SPC-2 §5.5.1); persistent ones survive it. */
    void nexusLoggedOut(ItNexus nexus) {
        unitAttentions.nexusLoggedOut(nexus);
        reservationHolder.compareAndSet(nexus, null);
        inFlight.nexusLoggedOut(nexus);
        heldCopyResults.nexusLoggedOut(nexus);
    }

    /**
     * A LOGICAL UNIT RESET or target reset: a unit attention for every nexus, the SPC-2 reservation released.
     * Persistent reservations are kept (SPC-4 §5.9.12).
     */
    void reset(Sense condition) {
        reservationHolder.set(null);
        unitAttentions.resetAll(condition);
    }

    void close() {
        backend.close();
    }

    @Override
    public String toString() {
        return "LUN " + id + " (" + backend.describe() + ", " + blockCount + " x " + blockSize + " bytes)";
    }
}
