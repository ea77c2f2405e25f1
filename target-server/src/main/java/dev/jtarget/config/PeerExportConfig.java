package dev.jtarget.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One export of the NBD peer server: a file or a block device served under a name.
 *
 * @param path      absolute; a block device is served whole, anything else as a regular file
 * @param sizeBytes for files: the size to create it at, or that it must have; empty: the existing file's size
 * @param readOnly  advertised read-only, writes refused
 */
public record PeerExportConfig(String name, Path path, OptionalLong sizeBytes, boolean readOnly) {

    /** Exports are addressed in blocks of this size: the smallest any NBD client uses. */
    public static final int BLOCK_SIZE = 512;

    public PeerExportConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(sizeBytes, "sizeBytes");
    }
}
