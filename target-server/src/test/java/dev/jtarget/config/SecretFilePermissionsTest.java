package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A configuration holding CHAP secrets that others can read is worth a warning; the warning never shows a secret. */
class SecretFilePermissionsTest {
    private static final String SECRET = "initiator-secret-1234";
    private static final String MUTUAL_SECRET = "target-secret-98765";

    @TempDir
    Path dir;

    @Test
    void worldReadableFileWithSecretsIsNamedWithTheFix() throws Exception {
        Path file = config(true, "rw-r--r--");

        String warning = SecretFilePermissions.warning(ConfigLoader.load(file, dir)).orElseThrow();

        assertEquals(file + " holds CHAP secrets and can be read by its group and every user (rw-r--r--); make it"
                + " private to its owner: chmod 600 " + file, warning);
        assertFalse(warning.contains(SECRET) || warning.contains(MUTUAL_SECRET));
    }

    @Test
    void groupReadableIsEnough() throws Exception {
        String warning = SecretFilePermissions.warning(ConfigLoader.load(config(true, "rw-r-----"), dir))
                .orElseThrow();

        assertTrue(warning.contains("can be read by its group (rw-r-----)"), warning);
    }

    @Test
    void privateFileIsFine() throws Exception {
        assertEquals(Optional.empty(), SecretFilePermissions.warning(ConfigLoader.load(config(true, "rw-------"), dir)));
    }

    @Test
    void fileWithoutSecretsMayBeReadByAnyone() throws Exception {
        assertEquals(Optional.empty(), SecretFilePermissions.warning(ConfigLoader.load(config(false, "rw-r--r--"),
                dir)));
    }

    private Path config(boolean chap, String permissions) throws IOException {
        String credentials = chap ? """
                    <chap user="farm" secret="%s"/>
                    <mutual-chap user="target" secret="%s"/>
                """.formatted(SECRET, MUTUAL_SECRET) : "";
        Path file = ConfigFiles.write(dir, "jtarget.xml", """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:3260"/>
                  <target name="iqn.2026-11.dev.jtarget:t">
                %s    <lun id="0"><memory size="1MiB"/></lun>
                  </target>
                </jtarget>
                """.formatted(credentials));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }
}
