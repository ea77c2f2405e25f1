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
 */
public record ClonePerInitiatorConfig(ImageConfig image, Path dir, long sizeBytes, OnLogout onLogout, int lunId,
                                      boolean writeCache, int blockSize) {

    /** What a clone's file becomes when its initiator's last session ends. */
    public enum OnLogout {
        /** Kept: the next login continues where the initiator left off. */
        KEEP,
        /** Deleted: the next login starts from the image again. */
        RESET
    }
}
