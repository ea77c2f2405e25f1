package dev.jtarget.it;

import dev.jtarget.config.ChapCredentials;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A target an integration test wants served: its name, file-backed LUNs or a clone per initiator of an image, CHAP and
 * allow list. The target process under test (our server or tgtd) turns it into its own configuration.
 */
record TargetSpec(String name, List<Lun> luns, Optional<ChapCredentials> chap, Optional<ChapCredentials> mutualChap,
                  List<String> allowedInitiators, Optional<ClonePerInitiator> clones) {

    private static final long MIB = 1 << 20;

    /**
     * A LUN of {@link #BLOCK_SIZE}-byte logical blocks backed by a sparse file of {@code sizeBytes}; whole MiB, so
     * every config syntax can state the size. {@code readOnly}: initiators may read it but every write is refused
     * (write-protected). {@code physicalBlockSize}: what READ CAPACITY(16) reports, a power-of-two multiple of the
     * logical block.
     */
    record Lun(int id, long sizeBytes, boolean readOnly, int physicalBlockSize) {
        static final int BLOCK_SIZE = 512;

        Lun {
            if (sizeBytes <= 0 || sizeBytes % MIB != 0) {
                throw new IllegalArgumentException("LUN size must be a positive multiple of 1 MiB: " + sizeBytes);
            }
            if (physicalBlockSize < BLOCK_SIZE || Integer.bitCount(physicalBlockSize) != 1) {
                throw new IllegalArgumentException("physical block size must be a power of two >= " + BLOCK_SIZE
                        + ": " + physicalBlockSize);
            }
        }

        /** log2 of the logical blocks per physical block, as tgtd's lbppbe parameter takes it. */
        int blocksPerPhysicalBlockExponent() {
            return Integer.numberOfTrailingZeros(physicalBlockSize / BLOCK_SIZE);
        }

        long sizeMib() {
            return sizeBytes / MIB;
        }
    }

    /**
     * Instead of LUNs: every initiator gets its own copy-on-write disk of the image named {@code image} (see
     * {@link ConfigXml.Image}), kept in {@code dir}, of {@code sizeBytes} (whole MiB, at least the image's size).
     * Only our server has this; the clones go through the write-back cache (write-cache defaults to on).
     */
    record ClonePerInitiator(String image, Path dir, long sizeBytes) {
        ClonePerInitiator {
            if (sizeBytes <= 0 || sizeBytes % MIB != 0) {
                throw new IllegalArgumentException("clone size must be a positive multiple of 1 MiB: " + sizeBytes);
            }
        }
    }

    TargetSpec {
        luns = List.copyOf(luns);
        allowedInitiators = List.copyOf(allowedInitiators);
        if (clones.isPresent() && !luns.isEmpty()) {
            throw new IllegalArgumentException("a target has LUNs or a clone per initiator, not both: " + name);
        }
    }

    static TargetSpec named(String iqn) {
        return new TargetSpec(iqn, List.of(), Optional.empty(), Optional.empty(), List.of(), Optional.empty());
    }

    TargetSpec withClonePerInitiator(String image, Path dir, long sizeBytes) {
        return new TargetSpec(name, luns, chap, mutualChap, allowedInitiators,
                Optional.of(new ClonePerInitiator(image, dir, sizeBytes)));
    }

    TargetSpec withLun(int id, long sizeBytes) {
        return withLun(new Lun(id, sizeBytes, false, Lun.BLOCK_SIZE));
    }

    TargetSpec withReadOnlyLun(int id, long sizeBytes) {
        return withLun(new Lun(id, sizeBytes, true, Lun.BLOCK_SIZE));
    }

    /** A writable LUN whose physical blocks hold several logical ones ("512e" at 4096). */
    TargetSpec withPhysicalBlockLun(int id, long sizeBytes, int physicalBlockSize) {
        return withLun(new Lun(id, sizeBytes, false, physicalBlockSize));
    }

    private TargetSpec withLun(Lun lun) {
        List<Lun> more = new ArrayList<>(luns);
        more.add(lun);
        return new TargetSpec(name, more, chap, mutualChap, allowedInitiators, clones);
    }

    TargetSpec withChap(String user, String secret) {
        ChapCredentials credentials = new ChapCredentials(user, secret);
        return new TargetSpec(name, luns, Optional.of(credentials), mutualChap, allowedInitiators, clones);
    }

    /** The credentials the target answers the initiator's challenge with (RFC 7143 §12.1.3, mutual CHAP). */
    TargetSpec withMutualChap(String user, String secret) {
        return new TargetSpec(name, luns, chap, Optional.of(new ChapCredentials(user, secret)), allowedInitiators,
                clones);
    }

    TargetSpec allowing(String initiatorPattern) {
        List<String> more = new ArrayList<>(allowedInitiators);
        more.add(initiatorPattern);
        return new TargetSpec(name, luns, chap, mutualChap, more, clones);
    }

    /** The file that backs {@code lun} of this target inside {@code dir}. */
    Path backingFile(Path dir, Lun lun) {
        return dir.resolve(name.replaceAll("[^A-Za-z0-9.-]", "_") + "-lun" + lun.id() + ".img");
    }

    /** Creates the (sparse, zero) backing files of the read-only LUNs in {@code dir}: our server never creates those. */
    void createReadOnlyFiles(Path dir) {
        for (Lun lun : luns) {
            if (lun.readOnly()) {
                try (RandomAccessFile sparse = new RandomAccessFile(backingFile(dir, lun).toFile(), "rw")) {
                    sparse.setLength(lun.sizeBytes());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    static long mib(long count) {
        return count * MIB;
    }
}
