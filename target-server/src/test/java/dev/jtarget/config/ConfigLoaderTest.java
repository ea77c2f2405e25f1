package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {

    private static final long EIGHT_GIB = 8L << 30;

    @TempDir
    Path baseDir;

    @Test
    void shippedConfigServesOneGibibyteSparseFileOnLoopbackWithoutAuthentication() throws ConfigException {
        Path file = ConfigFiles.confDir().resolve("jtarget.xml");
        ServerConfig config = ConfigLoader.load(file, baseDir);

        assertEquals(file, config.source());
        assertEquals(baseDir, config.baseDir());
        assertEquals(List.of(new PortalConfig("127.0.0.1", 3260)), config.portals());
        assertEquals(CacheConfig.DEFAULT, config.cache());
        TargetConfig target = config.targets().getFirst();
        assertEquals(1, config.targets().size());
        assertEquals("iqn.2026-11.dev.jtarget:disk0", target.name());
        assertEquals("disk0", target.alias());
        assertEquals(Optional.empty(), target.chap());
        assertEquals(Optional.empty(), target.mutualChap());
        assertEquals(List.of(), target.allowedInitiators());
        assertEquals(List.of(new LunConfig(0, true, 512, false,
                new BackendConfig.File(baseDir.resolve("data/disk0.img"), 1L << 30, false))), target.luns());
    }

    @Test
    void loadingCreatesNothing() throws ConfigException {
        ConfigLoader.load(ConfigFiles.confDir().resolve("jtarget.xml"), baseDir);
        assertFalse(Files.exists(baseDir.resolve("data")));
    }

    static Stream<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(ConfigFiles.confDir().resolve("examples"))) {
            List<Path> xml = files.filter(p -> p.toString().endsWith(".xml")).sorted().toList();
            assertEquals(List.of("allow-list.xml", "chap.xml", "device.xml", "memory-and-ipv6.xml", "mutual-chap.xml",
                            "nbd.xml", "peer.xml"),
                    xml.stream().map(p -> p.getFileName().toString()).toList());
            return xml.stream();
        }
    }

    /** The examples name devices this machine does not have; everything under /dev is taken for one here. */
    static final DeviceProbe DEV_IS_DEVICES = path -> path.startsWith("/dev") ? DeviceProbe.Status.BLOCK_DEVICE
            : DeviceProbe.Status.MISSING;

    @ParameterizedTest
    @MethodSource("examples")
    void everyExampleLoads(Path example) throws ConfigException {
        ServerConfig config = ConfigLoader.load(example, baseDir, () -> EIGHT_GIB, DEV_IS_DEVICES);
        assertFalse(config.targets().isEmpty());
    }

    @Test
    void mutualChapExampleCarriesBothCredentials() throws ConfigException {
        TargetConfig target = ConfigLoader.load(ConfigFiles.confDir().resolve("examples/mutual-chap.xml"), baseDir)
                .targets().getFirst();
        assertEquals("backup", target.chap().orElseThrow().user());
        assertEquals("vault", target.mutualChap().orElseThrow().user());
        LunConfig lun = target.luns().getFirst();
        assertEquals(4096, lun.blockSize());
        assertFalse(lun.writeCache());
        assertEquals(new BackendConfig.File(Path.of("/srv/jtarget/vault.img"), 100L << 30, false), lun.backend());
    }

    @Test
    void allowListExampleKeepsPatternsAndReadOnlyLun() throws ConfigException {
        ServerConfig config = ConfigLoader.load(ConfigFiles.confDir().resolve("examples/allow-list.xml"), baseDir);
        TargetConfig builds = config.targets().getFirst();
        assertEquals(List.of("iqn.1993-08.org.debian:01:*", "iqn.2004-10.com.ubuntu:01:ci-runner-*"),
                builds.allowedInitiators());
        assertTrue(builds.allows("iqn.1993-08.org.debian:01:abcdef"));
        assertFalse(builds.allows("iqn.1994-05.com.redhat:db01"));
        assertTrue(builds.luns().get(1).readOnly());
    }

    @Test
    void memoryExampleListensOnIpv6AndSizesArenaFromPhysicalMemory() throws ConfigException {
        ServerConfig config = ConfigLoader.load(ConfigFiles.confDir().resolve("examples/memory-and-ipv6.xml"), baseDir,
                () -> EIGHT_GIB);
        assertEquals(List.of(new PortalConfig("127.0.0.1", 3260), new PortalConfig("::1", 3260)), config.portals());
        assertEquals("[::1]:3260", config.portals().get(1).toString());
        assertEquals(new CacheConfig(EIGHT_GIB / 4, 4), config.cache());
        assertEquals(new BackendConfig.Memory(256L << 20), config.targets().getFirst().luns().getFirst().backend());
    }

    @Test
    void omittedAttributesTakeTheSchemaDefaults() throws ConfigException {
        Path file = ConfigFiles.write(baseDir, "defaults.xml", """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="[::]:3260"/>
                  <cache/>
                  <target name="eui.0123456789ABCDEF">
                    <lun id="16383"><memory size="1M"/></lun>
                  </target>
                </jtarget>
                """);
        ServerConfig config = ConfigLoader.load(file, baseDir);
        assertEquals(CacheConfig.DEFAULT, config.cache());
        TargetConfig target = config.targets().getFirst();
        assertEquals("", target.alias());
        assertEquals(new LunConfig(16383, true, 512, false, new BackendConfig.Memory(1L << 20)),
                target.luns().getFirst());
    }

    @Test
    void physicalBlockSizeIsKeptAndAllowsTheLargestExponent() throws ConfigException {
        Path file = ConfigFiles.write(baseDir, "physical.xml", """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:3260"/>
                  <target name="iqn.2026-11.dev.jtarget:physical">
                    <lun id="0" physical-block-size="4096"><memory size="1M"/></lun>
                    <lun id="1" block-size="4096" physical-block-size="134217728"><memory size="1M"/></lun>
                  </target>
                </jtarget>
                """);
        List<LunConfig> luns = ConfigLoader.load(file, baseDir).targets().getFirst().luns();
        assertEquals(new LunConfig(0, true, 512, 4096, false, new BackendConfig.Memory(1L << 20)), luns.get(0));
        assertEquals(4096 << 15, luns.get(1).physicalBlockSize());
    }

    @Test
    void relativePathsResolveAgainstTheWorkingDirectoryByDefault() throws ConfigException {
        ServerConfig config = ConfigLoader.load(ConfigFiles.confDir().resolve("jtarget.xml"));
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(cwd, config.baseDir());
        assertEquals(new BackendConfig.File(cwd.resolve("data/disk0.img"), 1L << 30, false),
                config.targets().getFirst().luns().getFirst().backend());
    }
}
