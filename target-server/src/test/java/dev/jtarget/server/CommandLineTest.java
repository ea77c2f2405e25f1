package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jtarget.server.CommandLine.Command;
import dev.jtarget.server.CommandLine.UsageException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    @Test
    void serveDefaultsToTheShippedConfig() throws UsageException {
        assertEquals(new CommandLine(Command.SERVE, Path.of("conf/jtarget.xml")), CommandLine.parse("serve"));
    }

    @Test
    void configAcceptsSeparateAndJoinedValues() throws UsageException {
        assertEquals(new CommandLine(Command.SERVE, Path.of("a.xml")), CommandLine.parse("serve", "--config", "a.xml"));
        assertEquals(new CommandLine(Command.CHECK_CONFIG, Path.of("b.xml")),
                CommandLine.parse("check-config", "--config=b.xml"));
    }

    @Test
    void helpWinsWhereverItAppears() throws UsageException {
        assertEquals(Command.HELP, CommandLine.parse("--help").command());
        assertEquals(Command.HELP, CommandLine.parse("-h").command());
        assertEquals(Command.HELP, CommandLine.parse("serve", "--help").command());
    }

    @Test
    void checkConfigRequiresAFile() {
        assertEquals("check-config needs --config FILE",
                assertThrows(UsageException.class, () -> CommandLine.parse("check-config")).getMessage());
    }

    @Test
    void mistakesAreNamed() {
        assertEquals("no command given", assertThrows(UsageException.class, CommandLine::parse).getMessage());
        assertEquals("unknown command 'start'",
                assertThrows(UsageException.class, () -> CommandLine.parse("start")).getMessage());
        assertEquals("unknown option '--port' for serve",
                assertThrows(UsageException.class, () -> CommandLine.parse("serve", "--port", "1")).getMessage());
        assertEquals("unexpected argument 'x.xml' for serve",
                assertThrows(UsageException.class, () -> CommandLine.parse("serve", "x.xml")).getMessage());
        assertEquals("--config needs a file name",
                assertThrows(UsageException.class, () -> CommandLine.parse("serve", "--config")).getMessage());
        assertEquals("--config is given more than once", assertThrows(UsageException.class,
                () -> CommandLine.parse("serve", "--config", "a", "--config", "b")).getMessage());
    }
}
