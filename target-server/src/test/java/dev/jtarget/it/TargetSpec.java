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
 * A target an integration test wants served: its name, file-backed LUNs, CHAP and allow list. The target process under
 * test (our server or tgtd) turns it into its own configuration.
 */
record TargetSpec(String name, List<Lun> luns, Optional<ChapCredentials> chap, Optional<ChapCredentials> mutualChap,
                  List<String> allowedInitiators) {

    private static final long MIB = 1 << 20;

    /**
     * A LUN backed by a sparse file of {@code sizeBytes}; whole MiB, so every config syntax can state the size.
     * {@code readOnly}: initiators may read it but every write is refused (write-protected).
     */
    record Lun(int id, long sizeBytes, boolean readOnly) {
        Lun {
            if (sizeBytes <= 0 || sizeBytes % MIB != 0) {
                throw new IllegalArgumentException("LUN size must be a positive multiple of 1 MiB: " + sizeBytes);
            }
        }

        long sizeMib() {
            return sizeBytes / MIB;
        }
    }

    TargetSpec {
        luns = List.copyOf(luns);
        allowedInitiators = List.copyOf(allowedInitiators);
    }

    static TargetSpec named(String iqn) {
        return new TargetSpec(iqn, List.of(), Optional.empty(), Optional.empty(), List.of());
    }

    TargetSpec withLun(int id, long sizeBytes) {
        return withLun(new Lun(id, sizeBytes, false));
    }

    TargetSpec withReadOnlyLun(int id, long sizeBytes) {
        return withLun(new Lun(id, sizeBytes, true));
    }

    private TargetSpec withLun(Lun lun) {
        List<Lun> more = new ArrayList<>(luns);
        more.add(lun);
        return new TargetSpec(name, more, chap, mutualChap, allowedInitiators);
    }

    TargetSpec withChap(String user, String secret) {
        ChapCredentials credentials = new ChapCredentials(user, secret);
        return new TargetSpec(name, luns, Optional.of(credentials), mutualChap, allowedInitiators);
    }

    /** The credentials the target answers the initiator's challenge with (RFC 7143 §12.1.3, mutual CHAP). */
    TargetSpec withMutualChap(String user, String secret) {
        return new TargetSpec(name, luns, chap, Optional.of(new ChapCredentials(user, secret)), allowedInitiators);
    }

    TargetSpec allowing(String initiatorPattern) {
        List<String> more = new ArrayList<>(allowedInitiators);
        more.add(initiatorPattern);
        return new TargetSpec(name, luns, chap, mutualChap, more);
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
