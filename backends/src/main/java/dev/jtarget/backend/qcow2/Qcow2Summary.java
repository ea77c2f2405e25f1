package dev.jtarget.backend.qcow2;

import java.nio.file.Path;

/**
 * What an overlay's header says about it, for listing clones and choosing the read cache of the image a clone was
 * made of.
 *
 * @param virtualSize  the guest disk size in bytes
 * @param backingImage the backing file, absolute and normalized; null when the overlay has none
 */
public record Qcow2Summary(long virtualSize, Path backingImage) {
}
