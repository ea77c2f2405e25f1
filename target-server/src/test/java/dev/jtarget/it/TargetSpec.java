package dev.jtarget.it;

import dev.jtarget.config.ChapCredentials;
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

    /** A LUN backed by a sparse file of {@code sizeBytes}; whole MiB, so every config syntax can state the size. */
    record Lun(int id, long sizeBytes) {
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
        List<Lun> more = new ArrayList<>(luns);
        more.add(new Lun(id, sizeBytes));
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

    static long mib(long count) {
        return count * MIB;
    }
}
