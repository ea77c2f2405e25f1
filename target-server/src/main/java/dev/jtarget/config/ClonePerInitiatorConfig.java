package dev.jtarget.config;

import java.nio.file.Path;

/**
 * {@code <clone-per-initiator/>}: the target's one LUN is a copy-on-write disk of {@link #image()} of its own for
 * every initiator name that logs in, kept as a qcow2 overlay in {@link #dir()}.
 *
 * @param sizeBytes  capacity of every clone: at least the image's size, a whole number of blocks
 * @param onLogout   what happens to a clone when the last session of its initiator ends
 * @param writeCache as {@link LunConfig#writeCache()}
 * @param blockSize  as {@link LunConfig#blockSize()}
 * @param space      when the clones' filesystem counts as nearly full and as full
 */
public record ClonePerInitiatorConfig(ImageConfig image, Path dir, long sizeBytes, OnLogout onLogout, int lunId,
                                      boolean writeCache, int blockSize, Space space) {

    /** With the default {@link Space} limits. */
    public ClonePerInitiatorConfig(ImageConfig image, Path dir, long sizeBytes, OnLogout onLogout, int lunId,
                                   boolean writeCache, int blockSize) {
        this(image, dir, sizeBytes, onLogout, lunId, writeCache, blockSize, Space.DEFAULTS);
    }

    /**
     * The space limits of the clone directory's filesystem.
     *
     * @param softThresholdPercent the share of the filesystem in use (promised writes included) from which the
     *                             clones' initiators get THIN PROVISIONING SOFT THRESHOLD REACHED, 1 to 99
     * @param reserveBytes         the free space below which writes that need new clusters fail with SPACE
     *                             ALLOCATION FAILED, or {@link #AUTOMATIC_RESERVE}: 1% of the filesystem, at least
     *                             1 MiB
     */
    public record Space(int softThresholdPercent, long reserveBytes) {
        public static final long AUTOMATIC_RESERVE = -1;
        public static final Space DEFAULTS = new Space(90, AUTOMATIC_RESERVE);
    }

    /** What a clone's file becomes when its initiator's last session ends. */
    public enum OnLogout {
        /** Kept: the next login continues where the initiator left off. */
        KEEP,
        /** Deleted: the next login starts from the image again. */
        RESET
    }
}
