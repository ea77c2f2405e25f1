package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jtarget.backend.nbd.NbdUri;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device, nbd and delay elements of a LUN and the peer section: what they load as, and how mistakes read. */
class BackendAndPeerConfigTest {

    private static final String TARGET = "iqn.2026-11.dev.jtarget:t";
    private static final String GOOD_LUN = "    <lun id=\"0\"><memory size=\"1M\"/></lun>\n";

    @TempDir
    Path dir;

    /** A configuration with {@code peer} (lines from 3 on, may be empty) before a target holding {@code luns}. */
    private static String config(String peer, String luns) {
        return "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
               + "  <portal listen=\"127.0.0.1:3260\"/>\n"
               + peer
               + "  <target name=\"" + TARGET + "\">\n"
               + luns
               + "  </target>\n"
               + "</jtarget>\n";
    }

    private ServerConfig load(String xml, DeviceProbe devices) throws ConfigException {
        return ConfigLoader.load(ConfigFiles.write(dir, "c.xml", xml), dir, () -> 8L << 30, devices);
    }

    private BackendConfig backendOf(String lun) throws ConfigException {
        return load(config("", lun), ConfigLoaderTest.DEV_IS_DEVICES).targets().getFirst().luns().getFirst()
                .backend();
    }

    private List<String> problems(String xml, DeviceProbe devices) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(xml, devices));
        return e.problems().stream().map(p -> p.line() + ": " + p.message()).toList();
    }

    private List<String> problems(String xml) {
        return problems(xml, ConfigLoaderTest.DEV_IS_DEVICES);
    }

    @Test
    void deviceBackendKeepsItsPath() throws ConfigException {
        assertEquals(new BackendConfig.Device(Path.of("/dev/disk/by-id/wwn-0x5000c500a1b2c3d4"), false),
                backendOf("    <lun id=\"0\"><device path=\"/dev/disk/by-id/wwn-0x5000c500a1b2c3d4\"/></lun>\n"));
    }

    /** Every path a block device, of 4096-byte logical blocks, holding files on a filesystem of 4096-byte blocks. */
    private static final DeviceProbe FOUR_KIB_STORAGE = new DeviceProbe() {
        @Override
        public Status status(Path path) {
            return Status.BLOCK_DEVICE;
        }

        @Override
        public OptionalInt logicalBlockSize(Path path) {
            return OptionalInt.of(4096);
        }

        @Override
        public OptionalInt fileSystemBlockSize(Path path) {
            return OptionalInt.of(4096);
        }
    };

    @Test
    void directFilesAndDevicesLoadWithTheirFlag() throws ConfigException {
        String xml = config("", "    <lun id=\"0\" block-size=\"4096\">"
                + "<file path=\"/srv/a.img\" size=\"1M\" direct=\"true\"/></lun>\n"
                + "    <lun id=\"1\" block-size=\"4096\"><device path=\"/dev/sdb\" direct=\"true\"/></lun>\n");
        List<LunConfig> luns = load(xml, FOUR_KIB_STORAGE).targets().getFirst().luns();
        assertEquals(new BackendConfig.File(Path.of("/srv/a.img"), 1L << 20, true), luns.get(0).backend());
        assertEquals(new BackendConfig.Device(Path.of("/dev/sdb"), true), luns.get(1).backend());
    }

    @Test
    void blockSizesSmallerThanWhatTheStorageTransfersAreRefusedWithTheirLine() {
        String xml = config("", "    <lun id=\"0\"><file path=\"/srv/a.img\" size=\"1M\" direct=\"true\"/></lun>\n"
                + "    <lun id=\"1\"><file path=\"/srv/b.img\" size=\"1M\"/></lun>\n"
                + "    <lun id=\"2\"><device path=\"/dev/sdb\"/></lun>\n");
        assertEquals(List.of(
                "4: block-size 512 of lun 0 in target '" + TARGET + "' is not a multiple of the 4096-byte blocks of"
                        + " the filesystem holding '/srv/a.img', which direct=\"true\" (O_DIRECT) reads and writes"
                        + " whole",
                "6: block-size 512 of lun 2 in target '" + TARGET + "' is not a multiple of the 4096-byte logical"
                        + " blocks of device '/dev/sdb'"),
                problems(xml, FOUR_KIB_STORAGE));
    }

    @Test
    void aMissingDeviceIsNamed() {
        String xml = config("", "    <lun id=\"0\"><device path=\"" + dir.resolve("sdz") + "\"/></lun>\n");
        assertEquals(List.of("4: no such device '" + dir.resolve("sdz") + "'"), problems(xml, DeviceProbe.SYSTEM));
    }

    @Test
    void aRegularFileIsNotADevice() throws Exception {
        Path file = Files.writeString(dir.resolve("disk.img"), "x");
        String xml = config("", "    <lun id=\"0\"><device path=\"disk.img\"/></lun>\n");
        assertEquals(List.of("4: 'disk.img' is not a block device: use <file> for a regular file"),
                problems(xml, DeviceProbe.SYSTEM));
        assertEquals(DeviceProbe.Status.NOT_A_BLOCK_DEVICE, DeviceProbe.SYSTEM.status(file));
    }

    @Test
    void oneDeviceUnderTwoNamesIsRefusedForTheSecondLun() throws Exception {
        Path disk = Files.writeString(dir.resolve("sdb"), "");
        Files.createSymbolicLink(Files.createDirectories(dir.resolve("by-id")).resolve("wwn-1"), disk);
        String xml = config("", "    <lun id=\"0\"><device path=\"sdb\"/></lun>\n"
                + "    <lun id=\"1\"><device path=\"by-id/wwn-1\"/></lun>\n");
        assertEquals(List.of("5: device 'by-id/wwn-1' is already used by lun 0 in target '" + TARGET
                + "' (line 4); two writers on one device would overwrite each other's data"),
                problems(xml, path -> DeviceProbe.Status.BLOCK_DEVICE));
    }

    @Test
    void nbdBackendParsesItsUriAndDefaultsTheTimeoutToFifteenSeconds() throws ConfigException {
        assertEquals(new BackendConfig.Nbd(NbdUri.tcp("storage1", 10809, "disk0"), Duration.ofSeconds(15)),
                backendOf("    <lun id=\"0\"><nbd uri=\"nbd://storage1/disk0\"/></lun>\n"));
        assertEquals(new BackendConfig.Nbd(NbdUri.unix(Path.of("/run/nbd.sock"), "x"), Duration.ofMillis(500)),
                backendOf("    <lun id=\"0\"><nbd uri=\"nbd+unix:///x?socket=/run/nbd.sock\" timeout=\"500ms\"/>"
                        + "</lun>\n"));
    }

    @Test
    void badNbdUrisAndTimeoutsAreExplained() {
        String xml = config("", "    <lun id=\"0\"><nbd uri=\"nbds://storage1/disk0\"/></lun>\n"
                + "    <lun id=\"1\"><nbd uri=\"http://storage1/disk0\"/></lun>\n"
                + "    <lun id=\"2\"><nbd uri=\"nbd://storage1/disk0\" timeout=\"0s\"/></lun>\n"
                + "    <lun id=\"3\"><nbd uri=\"nbd://storage1/disk0\" timeout=\"1m\"/></lun>\n");
        assertEquals(List.of(
                "4: NBD URI 'nbds://storage1/disk0' asks for TLS, which is not supported: use nbd:// or nbd+unix://",
                "5: NBD URI 'http://storage1/disk0' has scheme 'http': expected nbd:// or nbd+unix://",
                "6: timeout of <nbd> in lun 2 in target '" + TARGET + "' must be more than 0: it is how long requests"
                        + " wait for an unreachable peer before they fail",
                "7: timeout '1m' of <nbd> in lun 3 in target '" + TARGET + "' is not a duration: use a whole number"
                        + " of ms or s, for example 500ms or 15s"), problems(xml));
    }

    @Test
    void delayWrapsTheBackendBeforeIt() throws ConfigException {
        assertEquals(new BackendConfig.Delayed(new BackendConfig.Memory(1L << 20), Duration.ofMillis(2),
                        Duration.ZERO, 0),
                backendOf("    <lun id=\"0\"><memory size=\"1M\"/><delay write=\"2ms\"/></lun>\n"));
    }

    @Test
    void delayCanLimitHowManyRequestsTheSimulatedDeviceWorksOnAtOnce() throws ConfigException {
        assertEquals(new BackendConfig.Delayed(new BackendConfig.Memory(1L << 20), Duration.ofMillis(2),
                        Duration.ofMillis(1), 1),
                backendOf("    <lun id=\"0\"><memory size=\"1M\"/><delay write=\"2ms\" read=\"1ms\""
                        + " queue-depth=\"1\"/></lun>\n"));
    }

    @Test
    void delayBeforeTheBackendOrTwiceIsExplained() {
        String before = config("", "    <lun id=\"0\"><delay write=\"2ms\"/><memory size=\"1M\"/></lun>\n");
        assertEquals(List.of("4: <delay> in lun 0 in target '" + TARGET + "' must come after its backend, as in"
                + " <lun><file .../><delay .../></lun>"), problems(before));
        String twice = config("", "    <lun id=\"0\"><memory size=\"1M\"/><delay/><delay read=\"1ms\"/></lun>\n");
        assertEquals(List.of("4: only one <delay> is allowed in lun 0 in target '" + TARGET + "'"), problems(twice));
    }

    @Test
    void peerSectionListsItsExportsWithResolvedPaths() throws ConfigException {
        String peer = """
                  <peer>
                    <export name="disk0" path="peer/disk0.img" size="1GiB"/>
                    <export name="golden" path="/srv/golden.raw" read-only="true"/>
                  </peer>
                """;
        ServerConfig config = load(config(peer, GOOD_LUN), ConfigLoaderTest.DEV_IS_DEVICES);
        assertEquals(new PeerConfig(PeerConfig.DEFAULT_LISTEN, List.of(
                new PeerExportConfig("disk0", dir.resolve("peer/disk0.img"), OptionalLong.of(1L << 30), false),
                new PeerExportConfig("golden", Path.of("/srv/golden.raw"), OptionalLong.empty(), true))),
                config.peer().orElseThrow());
    }

    @Test
    void peerMistakesAreExplained() {
        String peer = """
                  <peer listen="127.0.0.1:3260">
                    <export name="a" path="a.img" size="1000"/>
                    <export name="a" path="b.img"/>
                    <export name="dev" path="/dev/sdb" size="1G"/>
                    <export name="c" path="lun.img" size="1M"/>
                  </peer>
                """;
        String xml = config(peer, "    <lun id=\"0\"><file path=\"./lun.img\" size=\"1M\"/></lun>\n");
        assertEquals(List.of(
                "3: the NBD peer cannot listen on 127.0.0.1:3260: the portal at line 2 does",
                "4: size 1000 of export 'a' is not a positive multiple of 512 bytes",
                "5: duplicate export name 'a' in <peer>: already defined at line 4",
                "6: export 'dev' is the block device '/dev/sdb', which is served at its own size: leave out size",
                "10: file './lun.img' is already used by export 'c' of <peer> (line 7); two writers on one file would"
                        + " overwrite each other's data"), problems(xml));
    }

    @Test
    void peerWithoutExportsOrWithABadAddressIsExplained() {
        assertEquals(List.of("4: <peer> has no <export>: it needs at least one"),
                problems(config("  <peer>\n  </peer>\n", GOOD_LUN)));
        assertEquals(List.of("3: cannot parse listen address 'nbd-host': use HOST:PORT, for example"
                + " 127.0.0.1:10809, 0.0.0.0:10809 or [::1]:10809"),
                problems(config("  <peer listen=\"nbd-host\"><export name=\"a\" path=\"a.img\"/></peer>\n",
                        GOOD_LUN)));
    }

    @Test
    void peerComesBetweenCacheAndTargets() {
        String xml = config("", GOOD_LUN).replace("</jtarget>",
                "  <peer><export name=\"a\" path=\"a.img\"/></peer>\n</jtarget>");
        assertEquals(List.of("6: <peer> is out of order in <jtarget>: its children come in the order <portal>...,"
                + " <cache>, <peer>, <image>..., <target>..."), problems(xml));
    }
}
