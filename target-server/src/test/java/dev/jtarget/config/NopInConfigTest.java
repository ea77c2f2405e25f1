package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code <nop-in>}: the keep-alive an operator can tune, with the defaults when it is absent. */
class NopInConfigTest {

    @TempDir
    Path dir;

    @Test
    void absentElementGivesTheDefaults() throws ConfigException {
        assertEquals(NopInConfig.DEFAULT, load("").nopIn());
        assertEquals(new NopInConfig(Duration.ofSeconds(15), Duration.ofSeconds(30)), NopInConfig.DEFAULT);
    }

    @Test
    void intervalAndTimeoutAreRead() throws ConfigException {
        ServerConfig config = load("<nop-in interval=\"5s\" timeout=\"2500ms\"/>");

        assertEquals(new NopInConfig(Duration.ofSeconds(5), Duration.ofMillis(2500)), config.nopIn());
    }

    @Test
    void attributeLeftOutTakesItsDefault() throws ConfigException {
        assertEquals(new NopInConfig(Duration.ofSeconds(2), Duration.ofSeconds(30)),
                load("<nop-in interval=\"2s\"/>").nopIn());
    }

    @Test
    void subSecondValuesAreRefusedWithTheirPlace() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> load("<nop-in interval=\"500ms\" timeout=\"0s\"/>"));

        assertEquals(List.of("<nop-in> interval 500ms is too short: at least 1s",
                        "<nop-in> timeout 0s is too short: at least 1s"),
                e.problems().stream().map(ConfigProblem::message).toList());
        assertEquals(4, e.problems().getFirst().line());
    }

    private ServerConfig load(String nopIn) throws ConfigException {
        String xml = """
                <?xml version="1.0" encoding="UTF-8"?>
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:3260"/>
                  %s
                  <target name="iqn.2026-11.dev.jtarget:t">
                    <lun id="0"><memory size="1MiB"/></lun>
                  </target>
                </jtarget>
                """.formatted(nopIn);
        return ConfigLoader.load(ConfigFiles.write(dir, "nop-in.xml", xml), dir);
    }
}
