package dev.jtarget.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A configuration that holds CHAP secrets is as secret as they are: anyone who can read the file can log in as the
 * initiators (or impersonate the target, for mutual CHAP). This tells when group or others may read it.
 */
public final class SecretFilePermissions {

    private SecretFilePermissions() {
    }

    /**
     * The warning for a configuration with CHAP secrets whose file group or others can read, naming the file and the
     * fix, never a secret; empty when there are no secrets, the file is private, or the file system has no POSIX
     * permissions (there, access control lists decide, which this does not judge).
     */
    public static Optional<String> warning(ServerConfig config) {
        boolean holdsSecrets = config.targets().stream()
                .anyMatch(target -> target.chap().isPresent() || target.mutualChap().isPresent());
        if (!holdsSecrets) {
            return Optional.empty();
        }
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(config.source());
        } catch (UnsupportedOperationException | IOException e) {
            return Optional.empty();
        }
        List<String> readers = new ArrayList<>(2);
        if (permissions.contains(PosixFilePermission.GROUP_READ)) {
            readers.add("its group");
        }
        if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
            readers.add("every user");
        }
        if (readers.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(config.source() + " holds CHAP secrets and can be read by " + String.join(" and ", readers)
                + " (" + PosixFilePermissions.toString(permissions) + "); make it private to its owner: chmod 600 "
                + config.source());
    }
}
