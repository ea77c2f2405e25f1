package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jtarget.config.PeerConfig;
import dev.jtarget.config.PeerExportConfig;
import dev.jtarget.config.PortalConfig;
import dev.jtarget.server.CommandLine.Command;
import dev.jtarget.server.CommandLine.UsageException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    @Test
    void serveDefaultsToTheShippedConfig() throws UsageException {
        assertEquals(new CommandLine(Command.SERVE, Path.of("conf/jtarget.xml")), CommandLine.parse("serve"));
    }

    @Test
    void statusFindsTheServerOfTheShippedConfigOrOfTheOneGiven() throws UsageException {
        assertEquals(new CommandLine(Command.STATUS, Path.of("conf/jtarget.xml")), CommandLine.parse("status"));
        assertEquals(new CommandLine(Command.STATUS, Path.of("a.xml")), CommandLine.parse("status", "--config=a.xml"));
    }

    @Test
    void imageOperationsBecomeTheRequestLinesTheServerParsesAgain() throws UsageException {
        CommandLine promote = CommandLine.parse("image", "promote", "iqn.t:farm", "--config", "a.xml", "iqn.i:alpha",
                "gold-v2");
        assertEquals(Command.IMAGE, promote.command());
        assertEquals(Path.of("a.xml"), promote.config());
        assertEquals("image promote iqn.t:farm iqn.i:alpha gold-v2", promote.image().orElseThrow().line());
        assertEquals(Path.of("conf/jtarget.xml"), CommandLine.parse("image", "list").config());
        for (String line : List.of("image list", "image reset iqn.t:farm iqn.i:alpha",
                "image retarget iqn.t:farm gold-v2", "image expire --days 30 --dry-run", "image expire --days 0")) {
            List<String> words = List.of(line.split(" "));
            ImageRequest request = CommandLine.parse(words.toArray(String[]::new)).image().orElseThrow();
            assertEquals(line, request.line());
            assertEquals(request, ImageRequest.parse(words.subList(1, words.size())));
        }
        assertEquals(new ImageRequest.Expire(7, false),
                CommandLine.parse("image", "expire", "--days=7").image().orElseThrow());
    }

    @Test
    void malformedImageOperationsAreRefusedBeforeAnythingIsSent() {
        assertEquals("image needs an operation: list, reset, promote, retarget, expire",
                assertThrows(UsageException.class, () -> CommandLine.parse("image")).getMessage());
        assertEquals("unknown image operation 'commit'",
                assertThrows(UsageException.class, () -> CommandLine.parse("image", "commit")).getMessage());
        assertEquals("usage: image reset TARGET INITIATOR",
                assertThrows(UsageException.class, () -> CommandLine.parse("image", "reset", "t")).getMessage());
        assertEquals("image expire needs --days N",
                assertThrows(UsageException.class, () -> CommandLine.parse("image", "expire")).getMessage());
        assertEquals("--days needs a whole number of days, not 'x'", assertThrows(UsageException.class,
                () -> CommandLine.parse("image", "expire", "--days", "x")).getMessage());
        assertThrows(UsageException.class, () -> CommandLine.parse("image", "promote", "t", "i", "../escape"));
        assertThrows(UsageException.class, () -> CommandLine.parse("image", "promote", "t", "i", ".hidden"));
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

    @Test
    void peerTakesExportsWithOptionsAndAListenAddress() throws UsageException {
        CommandLine commandLine = CommandLine.parse("peer", "--export", "disk=data/d.img,size=1G,ro",
                "--listen", "[::1]:10810", "--export=raw=/dev/sdb");
        assertEquals(Command.PEER, commandLine.command());
        assertEquals(new PeerConfig(new PortalConfig("::1", 10810), List.of(
                new PeerExportConfig("disk", Path.of("data/d.img").toAbsolutePath(), OptionalLong.of(1L << 30), true),
                new PeerExportConfig("raw", Path.of("/dev/sdb"), OptionalLong.empty(), false))),
                commandLine.peer().orElseThrow());
    }

    @Test
    void peerListensOnLoopbackByDefault() throws UsageException {
        assertEquals(new PortalConfig("127.0.0.1", 10809),
                CommandLine.parse("peer", "--export", "a=a.img").peer().orElseThrow().listen());
    }

    @Test
    void peerMistakesAreNamed() {
        assertEquals("peer needs at least one --export NAME=PATH", usageError("peer"));
        assertEquals("--export needs NAME=PATH", usageError("peer", "--export"));
        assertEquals("--export 'disk' is not NAME=PATH[,size=SIZE][,ro]", usageError("peer", "--export", "disk"));
        assertEquals("--export '=x.img' is not NAME=PATH[,size=SIZE][,ro]", usageError("peer", "--export", "=x.img"));
        assertEquals("--export 'd=x,size=1000': size 1000 is not a positive multiple of 512 bytes",
                usageError("peer", "--export", "d=x,size=1000"));
        assertEquals("--export 'd=x,size=lots': not a size: 'lots' (use bytes or a number with KiB/MiB/GiB/TiB)",
                usageError("peer", "--export", "d=x,size=lots"));
        assertEquals("--export 'd=x,fast': unknown or repeated option 'fast' (expected size=SIZE or ro)",
                usageError("peer", "--export", "d=x,fast"));
        assertEquals("export 'd' is given more than once", usageError("peer", "--export", "d=x", "--export", "d=y"));
        assertEquals("--listen: port 70000 in '0.0.0.0:70000' is out of range: use 1 to 65535 (NBD's port is 10809)",
                usageError("peer", "--export", "d=x", "--listen", "0.0.0.0:70000"));
        assertEquals("--listen: cannot parse listen address 'storage': use HOST:PORT, for example 127.0.0.1:10809,"
                + " 0.0.0.0:10809 or [::1]:10809", usageError("peer", "--export", "d=x", "--listen", "storage"));
        assertEquals("--listen is given more than once",
                usageError("peer", "--export", "d=x", "--listen", "h:1", "--listen", "h:2"));
        assertEquals("unknown option '--config' for peer", usageError("peer", "--config", "x.xml"));
    }

    private static String usageError(String... args) {
        return assertThrows(UsageException.class, () -> CommandLine.parse(args)).getMessage();
    }
}
