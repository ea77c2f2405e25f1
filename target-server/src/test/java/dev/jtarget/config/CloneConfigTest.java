package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code <image>} and {@code <clone-per-initiator>}: what they load as, and how mistakes read (FILE:LINE:COL). */
class CloneConfigTest {

    private static final String TARGET = "iqn.2026-11.dev.jtarget:farm";
    private static final long IMAGE_BYTES = 3 << 20;

    @TempDir
    Path dir;

    @BeforeEach
    void goldenImage() throws IOException {
        try (var file = new java.io.RandomAccessFile(dir.resolve("gold.raw").toFile(), "rw")) {
            file.setLength(IMAGE_BYTES);
        }
    }

    /** Images on line 3 onwards, then a target holding {@code body}. */
    private static String config(String images, String body) {
        return "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
               + "  <portal listen=\"127.0.0.1:3260\"/>\n"
               + images
               + "  <target name=\"" + TARGET + "\">\n"
               + body
               + "  </target>\n"
               + "</jtarget>\n";
    }

    private static final String IMAGE = "  <image name=\"gold\" path=\"gold.raw\"/>\n";

    private ServerConfig load(String xml) throws ConfigException {
        return ConfigLoader.load(ConfigFiles.write(dir, "c.xml", xml), dir, () -> 8L << 30,
                ConfigLoaderTest.DEV_IS_DEVICES);
    }

    private List<String> problems(String xml) {
        ConfigException e = assertThrows(ConfigException.class, () -> load(xml));
        return e.problems().stream().map(p -> p.line() + ":" + p.column() + ": " + p.message()).toList();
    }

    @Test
    void cloneElementLoadsWithDefaultsAndTheImage() throws ConfigException {
        TargetConfig target = load(config(IMAGE,
                "    <clone-per-initiator image=\"gold\" dir=\"clones\"/>\n")).targets().getFirst();
        assertEquals(List.of(), target.luns());
        assertEquals(Optional.of(new ClonePerInitiatorConfig(new ImageConfig("gold", dir.resolve("gold.raw"),
                IMAGE_BYTES, 256L << 20), dir.resolve("clones"), IMAGE_BYTES, ClonePerInitiatorConfig.OnLogout.KEEP, 0,
                true, 512)),
                target.clones());
    }

    @Test
    void everyAttributeIsRead() throws ConfigException {
        ClonePerInitiatorConfig clone = load(config("  <image name=\"gold\" path=\"gold.raw\" read-cache=\"1GiB\"/>\n",
                "    <clone-per-initiator image=\"gold\" dir=\"c\" size=\"20GiB\" on-logout=\"reset\" lun=\"3\""
                + " write-cache=\"off\" block-size=\"4096\"/>\n")).targets().getFirst().clones().orElseThrow();
        assertEquals(new ClonePerInitiatorConfig(new ImageConfig("gold", dir.resolve("gold.raw"), IMAGE_BYTES,
                1L << 30),
                dir.resolve("c"), 20L << 30, ClonePerInitiatorConfig.OnLogout.RESET, 3, false, 4096), clone);
    }

    @Test
    void spaceLimitsAreReadAndDefaultToNinetyPercentAndAnAutomaticReserve() throws ConfigException {
        ClonePerInitiatorConfig.Space space = load(config(IMAGE, "    <clone-per-initiator image=\"gold\" dir=\"c\""
                + " space-soft-threshold=\"75%\" space-reserve=\"8GiB\"/>\n")).targets().getFirst().clones()
                .orElseThrow().space();
        assertEquals(new ClonePerInitiatorConfig.Space(75, 8L << 30), space);
        assertEquals(ClonePerInitiatorConfig.Space.DEFAULTS, load(config(IMAGE,
                "    <clone-per-initiator image=\"gold\" dir=\"c\"/>\n")).targets().getFirst().clones()
                .orElseThrow().space());
    }

    @Test
    void aSoftThresholdOutsideOneToNinetyNinePercentOrABadReserveIsReported() {
        List<String> threshold = problems(config(IMAGE,
                "    <clone-per-initiator image=\"gold\" dir=\"c\" space-soft-threshold=\"100%\"/>\n"));
        assertEquals(1, threshold.size(), threshold.toString());
        assertTrue(threshold.getFirst().startsWith("5:") && threshold.getFirst().contains("space-soft-threshold"),
                threshold.toString());
        assertEquals(List.of("5:69: cannot parse size 'lots': use bytes or a number with KiB/MiB/GiB/TiB (or K/M/G/T)"),
                problems(config(IMAGE,
                        "    <clone-per-initiator image=\"gold\" dir=\"c\" space-reserve=\"lots\"/>\n")));
    }

    @Test
    void aZeroReadCacheTurnsItOff() throws ConfigException {
        ImageConfig image = load(config("  <image name=\"gold\" path=\"gold.raw\" read-cache=\"0\"/>\n",
                "    <clone-per-initiator image=\"gold\" dir=\"c\"/>\n")).targets().getFirst().clones()
                .orElseThrow().image();
        assertEquals(0, image.readCacheBytes());
    }

    @Test
    void aReadCacheBelowOneChunkOrAboveATebibyteIsReported() {
        assertEquals(List.of("3:57: read-cache 1000 of image 'gold' must be 0 (off) or from 64KiB (one chunk) to 1TiB"),
                problems(config("  <image name=\"gold\" path=\"gold.raw\" read-cache=\"1000\"/>\n",
                        "    <clone-per-initiator image=\"gold\" dir=\"c\"/>\n")));
        assertEquals(List.of("3:57: read-cache 2TiB (2199023255552 bytes) of image 'gold' must be 0 (off) or from"
                        + " 64KiB (one chunk) to 1TiB"),
                problems(config("  <image name=\"gold\" path=\"gold.raw\" read-cache=\"2TiB\"/>\n",
                        "    <clone-per-initiator image=\"gold\" dir=\"c\"/>\n")));
    }

    @Test
    void missingImageFileIsReportedAtTheImage() {
        assertEquals(List.of("3:42: image 'gold': no such file 'nothere.raw' (" + dir.resolve("nothere.raw") + ")"),
                problems(config("  <image name=\"gold\" path=\"nothere.raw\"/>\n",
                        "    <clone-per-initiator image=\"gold\" dir=\"c\"/>\n")));
    }

    @Test
    void undeclaredImageIsReported() {
        assertEquals(List.of("5:50: <clone-per-initiator> in target '" + TARGET + "' refers to image 'silver',"
                        + " which no <image> declares"),
                problems(config(IMAGE, "    <clone-per-initiator image=\"silver\" dir=\"c\"/>\n")));
    }

    @Test
    void cloneSmallerThanTheImageIsReported() {
        assertEquals(List.of("5:60: size 2MiB (2097152 bytes) of <clone-per-initiator> in target '" + TARGET
                        + "' is smaller than image 'gold' (3145728 bytes): the clone would cut the image off"),
                problems(config(IMAGE, "    <clone-per-initiator image=\"gold\" dir=\"c\" size=\"2MiB\"/>\n")));
    }

    @Test
    void imageOfPartialBlocksNeedsAnExplicitSize() throws IOException {
        Files.write(dir.resolve("odd.raw"), new byte[1000]);
        List<String> problems = problems(config("  <image name=\"odd\" path=\"odd.raw\"/>\n",
                "    <clone-per-initiator image=\"odd\" dir=\"c\"/>\n"));
        assertEquals(1, problems.size());
        assertTrue(problems.getFirst().endsWith("is not a multiple of its block-size 512: set size"),
                problems.getFirst());
    }

    @Test
    void duplicateImageNamesAndAnImageUsedAsALunFileAreReported() {
        String xml = "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
                     + "  <portal listen=\"127.0.0.1:3260\"/>\n"
                     + IMAGE
                     + "  <image name=\"gold\" path=\"other.raw\"/>\n"
                     + "  <target name=\"" + TARGET + "\">\n"
                     + "    <lun id=\"0\"><file path=\"gold.raw\" size=\"3MiB\"/></lun>\n"
                     + "  </target>\n"
                     + "</jtarget>\n";
        List<String> problems = problems(xml);
        assertEquals(2, problems.size(), problems.toString());
        assertEquals("4:40: duplicate image name 'gold': already defined at line 3", problems.get(0));
        assertTrue(problems.get(1).startsWith("6:52: file 'gold.raw' is already used by image 'gold' (line 3)"),
                problems.get(1));
    }

    @Test
    void twoTargetsCannotShareACloneDirectory() {
        String xml = "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
                     + "  <portal listen=\"127.0.0.1:3260\"/>\n"
                     + IMAGE
                     + "  <target name=\"" + TARGET + "\">\n"
                     + "    <clone-per-initiator image=\"gold\" dir=\"c\"/>\n"
                     + "  </target>\n"
                     + "  <target name=\"" + TARGET + "2\">\n"
                     + "    <clone-per-initiator image=\"gold\" dir=\"./c\"/>\n"
                     + "  </target>\n"
                     + "</jtarget>\n";
        List<String> problems = problems(xml);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().startsWith("8:50: directory './c' is already used by <clone-per-initiator>"
                + " in target '" + TARGET + "' (line 5)"), problems.getFirst());
    }

    @Test
    void aTargetHasLunsOrAClonePerInitiatorNotBoth() {
        List<String> problems = problems(config(IMAGE, "    <lun id=\"0\"><memory size=\"1M\"/></lun>\n"
                + "    <clone-per-initiator image=\"gold\" dir=\"c\"/>\n"));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().startsWith("6:"), problems.getFirst());
    }

    @Test
    void cloneDirectoryThatIsAFileIsReported() throws IOException {
        Files.writeString(dir.resolve("plain"), "x");
        assertEquals(List.of("5:52: dir 'plain' of <clone-per-initiator> in target '" + TARGET
                        + "' is not a directory"),
                problems(config(IMAGE, "    <clone-per-initiator image=\"gold\" dir=\"plain\"/>\n")));
    }
}
