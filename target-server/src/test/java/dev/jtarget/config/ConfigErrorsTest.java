package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of mistake is reported as FILE:LINE:COL with words a user understands. */
class ConfigErrorsTest {

    private static final String TARGET = "iqn.2026-11.dev.jtarget:t";
    private static final String GOOD_LUN = "    <lun id=\"0\"><memory size=\"1M\"/></lun>\n";

    @TempDir
    Path dir;

    /** A configuration whose target (line 3) contains {@code body}, which starts on line 4. */
    private static String withTarget(String body) {
        return "<jtarget xmlns=\"urn:jtarget:config:1\">\n"
               + "  <portal listen=\"127.0.0.1:3260\"/>\n"
               + "  <target name=\"" + TARGET + "\">\n"
               + body
               + "  </target>\n"
               + "</jtarget>\n";
    }

    private List<ConfigProblem> problems(String xml) {
        Path file = ConfigFiles.write(dir, "bad.xml", xml);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, dir, () -> 8L << 30));
        e.problems().forEach(p -> assertEquals(file, p.file()));
        return e.problems();
    }

    /** The file has exactly one problem, at the end of the start tag that ends {@code line}, saying {@code message}. */
    private void assertOnlyProblem(String xml, int line, String message) {
        List<ConfigProblem> problems = problems(xml);
        assertEquals(List.of(new ConfigProblem(dir.resolve("bad.xml"), line, ConfigFiles.endOf(xml, line), message)),
                problems);
    }

    @Test
    void problemPrintsAsFileLineColumnMessage() {
        assertEquals("conf/x.xml:3:14: duplicate portal 127.0.0.1:3260",
                new ConfigProblem(Path.of("conf/x.xml"), 3, 14, "duplicate portal 127.0.0.1:3260").toString());
        assertEquals("conf/x.xml: no such file", new ConfigProblem(Path.of("conf/x.xml"), 0, 0, "no such file").toString());
    }

    @Test
    void shortChapSecretNamesUserAndByteCountButNotTheSecret() {
        String xml = withTarget("    <chap user=\"farm\" secret=\"s3cr3t!!\"/>\n" + GOOD_LUN);
        assertOnlyProblem(xml, 4, "CHAP secret for user 'farm' is 8 bytes; iSCSI requires at least 12 (RFC 7143 §12.1.3)");
        assertFalse(problems(xml).toString().contains("s3cr3t"));
    }

    @Test
    void secretLengthCountsUtf8BytesNotCharacters() {
        // Six characters, twelve bytes: long enough.
        String xml = withTarget("    <chap user=\"farm\" secret=\"ééééé\"/>\n" + GOOD_LUN);
        assertOnlyProblem(xml, 4, "CHAP secret for user 'farm' is 10 bytes; iSCSI requires at least 12 (RFC 7143 §12.1.3)");
    }

    @Test
    void secretLongerThan255BytesIsRejected() {
        String xml = withTarget("    <chap user=\"farm\" secret=\"" + "x".repeat(256) + "\"/>\n" + GOOD_LUN);
        assertOnlyProblem(xml, 4, "CHAP secret for user 'farm' is 256 bytes; at most 255 are supported");
    }

    @Test
    void mutualChapWithoutChapIsRejected() {
        String xml = withTarget("    <mutual-chap user=\"tgt\" secret=\"another-long-one\"/>\n" + GOOD_LUN);
        assertOnlyProblem(xml, 4, "<mutual-chap> in target '" + TARGET + "' requires <chap>: the target can only"
                + " authenticate itself within the initiator's CHAP exchange");
    }

    @Test
    void mutualSecretEqualToChapSecretIsRejectedWithoutShowingIt() {
        String xml = withTarget("    <chap user=\"farm\" secret=\"twelve-or-more\"/>\n"
                + "    <mutual-chap user=\"tgt\" secret=\"twelve-or-more\"/>\n" + GOOD_LUN);
        assertOnlyProblem(xml, 5, "the mutual CHAP secret of target '" + TARGET + "' is the same as its CHAP secret;"
                + " RFC 7143 §12.1.3 forbids using one secret in both directions");
        assertFalse(problems(xml).toString().contains("twelve-or-more"));
    }

    @Test
    void mutualSecretReusedAsAnotherTargetsChapSecretIsRejected() {
        String xml = """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:3260"/>
                  <target name="iqn.2026-11.dev.jtarget:a">
                    <chap user="a" secret="secret-number-one"/>
                    <mutual-chap user="ta" secret="secret-number-two"/>
                    <lun id="0"><memory size="1M"/></lun>
                  </target>
                  <target name="iqn.2026-11.dev.jtarget:b">
                    <chap user="b" secret="secret-number-two"/>
                    <lun id="0"><memory size="1M"/></lun>
                  </target>
                </jtarget>
                """;
        assertOnlyProblem(xml, 5, "the mutual CHAP secret of target 'iqn.2026-11.dev.jtarget:a' is the same as the"
                + " CHAP secret of target 'iqn.2026-11.dev.jtarget:b'; RFC 7143 §12.1.3 forbids using one secret in"
                + " both directions");
    }

    @Test
    void duplicateLunIdNamesTheTargetAndTheFirstDefinition() {
        String xml = withTarget(GOOD_LUN + "    <lun id=\"0\">\n      <memory size=\"2M\"/>\n    </lun>\n");
        assertOnlyProblem(xml, 5, "duplicate LUN id 0 in target '" + TARGET + "': already defined at line 4");
    }

    @Test
    void unknownBackendListsTheKnownOnes() {
        String xml = withTarget("    <lun id=\"0\">\n      <iscsi path=\"iscsi://elsewhere/disk\"/>\n    </lun>\n");
        assertOnlyProblem(xml, 5, "unknown backend <iscsi> in lun 0 in target '" + TARGET
                + "': expected <file>, <memory>, <device> or <nbd>");
    }

    @Test
    void lunWithoutBackendIsRejected() {
        String xml = withTarget("    <lun id=\"7\"></lun>\n");
        List<ConfigProblem> problems = problems(xml);
        assertEquals(1, problems.size());
        assertEquals(4, problems.getFirst().line());
        assertEquals("lun 7 in target '" + TARGET + "' has no backend: expected <file>, <memory>, <device> or <nbd>",
                problems.getFirst().message());
    }

    @Test
    void lunWithTwoBackendsIsRejected() {
        String xml = withTarget("    <lun id=\"0\">\n      <memory size=\"1M\"/>\n      <memory size=\"1M\"/>\n    </lun>\n");
        assertOnlyProblem(xml, 6, "lun 0 in target '" + TARGET + "' has more than one backend: a lun holds exactly one");
    }

    @Test
    void invalidIscsiNameExplainsTheThreeFormats() {
        String xml = withTarget(GOOD_LUN).replace(TARGET, "iqn.2026-11.Bad Name");
        assertOnlyProblem(xml, 3, "'iqn.2026-11.Bad Name' is not a valid iSCSI name (expected"
                + " iqn.YYYY-MM.reversed.domain[:suffix], eui.<16 hex> or naa.<16 or 32 hex>)");
    }

    @Test
    void upperCaseIqnGetsALowerCaseHint() {
        String xml = withTarget(GOOD_LUN).replace(TARGET, "iqn.2026-11.Dev.JTarget:t");
        assertTrue(problems(xml).getFirst().message().endsWith("; write iqn names in lower case"));
    }

    @Test
    void unparsableSizeSaysWhichUnitsExist() {
        String xml = withTarget("    <lun id=\"0\">\n      <file path=\"d.img\" size=\"12XB\"/>\n    </lun>\n");
        assertOnlyProblem(xml, 5, "cannot parse size '12XB': use bytes or a number with KiB/MiB/GiB/TiB (or K/M/G/T)");
    }

    @Test
    void sizeThatIsNotWholeBlocksIsRejected() {
        String xml = withTarget("    <lun id=\"2\" block-size=\"4096\">\n      <memory size=\"6K\"/>\n    </lun>\n");
        assertOnlyProblem(xml, 5, "size 6K (6144 bytes) of lun 2 in target '" + TARGET
                + "' is not a multiple of its block-size 4096");
    }

    @Test
    void physicalBlockSizeMustBeTheBlockSizeTimesAPowerOfTwo() {
        for (String physical : List.of("3072", "2048", "268435456")) {
            String xml = withTarget("    <lun id=\"3\" block-size=\"4096\" physical-block-size=\"" + physical
                    + "\">\n      <memory size=\"1M\"/>\n    </lun>\n");
            assertOnlyProblem(xml, 4, "physical-block-size " + physical + " of lun 3 in target '" + TARGET
                    + "' must be its block-size 4096 times a power of two up to 32768"
                    + " (READ CAPACITY(16) reports at most 2^15 logical blocks per physical block)");
        }
    }

    @Test
    void physicalBlockSizeBelowOneSectorIsASchemaError() {
        String xml = withTarget("    <lun id=\"0\" physical-block-size=\"256\">\n      <memory size=\"1M\"/>\n"
                + "    </lun>\n");
        assertOnlyProblem(xml, 4, "physical-block-size must be a number of bytes of at least 512, not '256'");
    }

    @Test
    void sizeTooLargeForSixtyFourBitsIsRejected() {
        String xml = withTarget("    <lun id=\"0\">\n      <memory size=\"99999999T\"/>\n    </lun>\n");
        assertOnlyProblem(xml, 5, "size '99999999T' is too large");
    }

    @Test
    void lunIdOutOfRangeIsRejected() {
        String xml = withTarget("    <lun id=\"16384\">\n      <memory size=\"1M\"/>\n    </lun>\n");
        assertOnlyProblem(xml, 4, "LUN id '16384' is out of range: use 0 to 16383");
    }

    @Test
    void twoLunsOnOneFileAreRejectedEvenWhenSpelledDifferently() {
        String xml = withTarget("    <lun id=\"0\"><file path=\"data/a.img\" size=\"1M\"/></lun>\n"
                + "    <lun id=\"1\"><file path=\"./data/../data/a.img\" size=\"1M\"/></lun>\n");
        List<ConfigProblem> problems = problems(xml);
        assertEquals(1, problems.size());
        assertEquals(5, problems.getFirst().line());
        assertEquals("file './data/../data/a.img' is already used by lun 0 in target '" + TARGET
                + "' (line 4); two writers on one file would overwrite each other's data", problems.getFirst().message());
    }

    @Test
    void duplicateTargetNamesAreRejected() {
        String xml = """
                <jtarget xmlns="urn:jtarget:config:1">
                  <portal listen="127.0.0.1:3260"/>
                  <target name="iqn.2026-11.dev.jtarget:same"><lun id="0"><memory size="1M"/></lun></target>
                  <target name="iqn.2026-11.dev.jtarget:same">
                    <lun id="0"><memory size="1M"/></lun>
                  </target>
                </jtarget>
                """;
        assertOnlyProblem(xml, 4, "duplicate target name 'iqn.2026-11.dev.jtarget:same': already defined at line 3");
    }

    @Test
    void duplicatePortalsAreComparedAsAddresses() {
        String xml = withTarget(GOOD_LUN).replace("  <portal listen=\"127.0.0.1:3260\"/>\n",
                "  <portal listen=\"[::1]:3260\"/>\n  <portal listen=\"[0:0::1]:3260\"/>\n");
        assertOnlyProblem(xml, 3, "duplicate portal [0:0::1]:3260: already listed at line 2");
    }

    @Test
    void portOutOfRangeIsRejected() {
        String xml = withTarget(GOOD_LUN).replace("127.0.0.1:3260", "127.0.0.1:65536");
        assertOnlyProblem(xml, 2, "port 65536 in '127.0.0.1:65536' is out of range: use 1 to 65535 (iSCSI's port is 3260)");
    }

    @Test
    void unparsableListenAddressShowsTheForm() {
        String xml = withTarget(GOOD_LUN).replace("127.0.0.1:3260", "::1:3260");
        assertOnlyProblem(xml, 2, "cannot parse listen address '::1:3260': use HOST:PORT, for example 127.0.0.1:3260,"
                + " 0.0.0.0:3260 or [::1]:3260");
    }

    @Test
    void flushersOutOfRangeIsRejected() {
        String xml = withTarget(GOOD_LUN).replace("<target", "<cache flushers=\"65\"/>\n  <target");
        assertOnlyProblem(xml, 3, "flushers must be a whole number from 1 to 64, not '65'");
    }

    @Test
    void arenaPercentageOutOfRangeIsRejected() {
        String xml = withTarget(GOOD_LUN).replace("<target", "<cache arena-size=\"100%\"/>\n  <target");
        assertOnlyProblem(xml, 3, "arena-size 100% is out of range: use 1% to 90% of physical memory");
    }

    @Test
    void messagesAreEnglishWhateverTheDefaultLocale() {
        String xml = withTarget("    <lun id=\"0\">\n      <memory size=\"12XB\"/>\n    </lun>\n");
        Locale saved = Locale.getDefault();
        Locale.setDefault(Locale.GERMANY);
        try {
            assertOnlyProblem(xml, 5, "cannot parse size '12XB': use bytes or a number with KiB/MiB/GiB/TiB (or K/M/G/T)");
            assertEquals("not well-formed XML: Content is not allowed in prolog.", problems("x").getFirst().message());
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void fileThatIsNotXmlIsRejected() {
        List<ConfigProblem> problems = problems("[portal]\nlisten = 127.0.0.1:3260\n");
        assertEquals(1, problems.size());
        assertEquals(1, problems.getFirst().line());
        assertEquals("not well-formed XML: Content is not allowed in prolog.", problems.getFirst().message());
    }

    @Test
    void doctypeIsRefusedSoNoExternalEntityIsRead() {
        List<ConfigProblem> problems = problems("""
                <!DOCTYPE jtarget [<!ENTITY leak SYSTEM "file:///etc/hostname">]>
                <jtarget xmlns="urn:jtarget:config:1">&leak;</jtarget>
                """);
        assertEquals(List.of("a DOCTYPE is not allowed in a jtarget configuration"),
                problems.stream().map(ConfigProblem::message).toList());
    }

    @Test
    void rootWithoutTheNamespaceSaysHowToWriteIt() {
        String xml = withTarget(GOOD_LUN).replace(" xmlns=\"urn:jtarget:config:1\"", "");
        assertOnlyProblem(xml, 1, "<jtarget> is not in the jtarget namespace: write <jtarget xmlns=\"urn:jtarget:config:1\">");
    }

    @Test
    void childrenOutOfOrderAreExplained() {
        String xml = withTarget(GOOD_LUN + "    <chap user=\"farm\" secret=\"twelve-or-more\"/>\n");
        assertOnlyProblem(xml, 5, "<chap> is out of order in target '" + TARGET
                + "': its children come in the order <chap>, <mutual-chap>, <allow>..., then <lun>... or one <clone-per-initiator>");
    }

    @Test
    void unknownAndMissingAttributesAreNamed() {
        String xml = withTarget("    <lun id=\"0\" cache=\"on\">\n      <file size=\"1M\"/>\n    </lun>\n");
        List<String> messages = problems(xml).stream().map(ConfigProblem::message).toList();
        assertEquals(List.of("unknown attribute 'cache' on lun 0 in target '" + TARGET + "'",
                "<file> in lun 0 in target '" + TARGET + "' is missing its 'path' attribute"), messages);
    }

    @Test
    void everyProblemInAFileIsReportedInFileOrder() {
        String xml = withTarget("    <chap user=\"farm\" secret=\"short\"/>\n"
                + "    <lun id=\"0\" block-size=\"1024\">\n      <memory size=\"1M\"/>\n    </lun>\n"
                + "    <lun id=\"1\">\n      <file path=\"x.img\" size=\"1000\"/>\n    </lun>\n")
                .replace("127.0.0.1:3260", "127.0.0.1:0");
        List<Integer> lines = problems(xml).stream().map(ConfigProblem::line).toList();
        assertEquals(List.of(2, 4, 5, 9), lines);
    }

    @Test
    void missingFileIsReportedWithoutPosition() {
        Path missing = dir.resolve("nope.xml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, dir));
        assertEquals(List.of(new ConfigProblem(missing, 0, 0, "no such file")), e.problems());
    }
}
