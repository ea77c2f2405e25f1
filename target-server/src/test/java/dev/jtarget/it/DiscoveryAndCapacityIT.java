package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libiscsi's discovery and query tools see the configured target, its LUNs and their exact sizes. */
@Tag("integration")
class DiscoveryAndCapacityIT {
    /** Two LUNs of different sizes, so a size or identity mixed up between LUNs shows. */
    private static final TargetSpec DISKS = TargetSpec.named("iqn.2026-11.dev.jtarget:it.discovery")
            .withLun(0, mib(64))
            .withLun(1, mib(17));
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);

    private static TargetUnderTest target;

    @BeforeAll
    static void startTarget(@TempDir Path workDir) {
        Tools.require("iscsi-ls", "iscsi-readcapacity16", "iscsi-inq");
        target = TargetUnderTest.start("discovery", workDir, List.of(DISKS));
    }

    @AfterAll
    static void stopTarget() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void sendTargetsListsTheTargetAtTheConnectedPortalWithItsLuns() {
        Tools.Result listing = target.assertSucceeded(run("iscsi-ls", "-s", IscsiUrl.portalUrl(target.portal())));

        listing.find("^Target:(" + Pattern.quote(DISKS.name()) + ") Portal:" + Pattern.quote(target.portal())
                + ",\\d+$");
        Set<Integer> disks = listing.findAll("^Lun:(\\d+)\\s+Type:DIRECT_ACCESS").stream()
                .map(Integer::valueOf).collect(Collectors.toSet());
        assertEquals(Set.of(target.lunNumber(0), target.lunNumber(1)), disks, listing.describe());
    }

    @Test
    void readCapacity16ReportsExactlyTheConfiguredSize() {
        for (TargetSpec.Lun lun : DISKS.luns()) {
            Tools.Result capacity = target.assertSucceeded(
                    run("iscsi-readcapacity16", target.url(DISKS, lun.id()).toString()));

            assertEquals(lun.sizeBytes(), Long.parseLong(capacity.find("^Total size:(\\d+)")), capacity.describe());
            assertEquals(512, Integer.parseInt(capacity.find("^LOGICAL BLOCK LENGTH IN BYTES:(\\d+)")));
            // SBC-3 READ CAPACITY (16) data: RETURNED LOGICAL BLOCK ADDRESS is the last LBA, not the block count.
            assertEquals(lun.sizeBytes() / 512 - 1,
                    Long.parseLong(capacity.find("^RETURNED LOGICAL BLOCK ADDRESS:(\\d+)")));
        }
    }

    @Test
    void standardInquiryDescribesADirectAccessDisk() {
        Tools.Result inquiry = target.assertSucceeded(run("iscsi-inq", target.url(DISKS, 0).toString()));

        assertEquals("CONNECTED", inquiry.find("^Peripheral Qualifier:(\\S+)"));
        assertEquals("DIRECT_ACCESS", inquiry.find("^Peripheral Device Type:(\\S+)"));
        assertFalse(inquiry.find("^Vendor:(.*)$").isBlank(), inquiry.describe());
        assertFalse(inquiry.find("^Product:(.*)$").isBlank(), inquiry.describe());
    }

    @Test
    void vpdPagesListSerialNumberAndDeviceIdentification() {
        Tools.Result supported = target.assertSucceeded(vpd(0, 0x00));

        List<String> pages = supported.findAll("^Page:(0x[0-9a-f]{2}) ");
        assertTrue(pages.containsAll(List.of("0x00", "0x80", "0x83")), supported.describe());
    }

    @Test
    void eachLunHasItsOwnNonBlankUnitSerialNumber() {
        String serial0 = target.assertSucceeded(vpd(0, 0x80)).find("^Unit Serial Number:\\[(.*)\\]").trim();
        String serial1 = target.assertSucceeded(vpd(1, 0x80)).find("^Unit Serial Number:\\[(.*)\\]").trim();

        assertFalse(serial0.isEmpty(), "LUN 0 serial number is blank");
        assertNotEquals(serial0, serial1, "two LUNs report the same unit serial number");
    }

    @Test
    void deviceIdentificationCarriesAnNaaDesignatorForTheLogicalUnit() {
        Tools.Result identification = target.assertSucceeded(vpd(0, 0x83));

        // iscsi-inq prints each designator's fields in order; the LU needs an NAA designator (SPC-4 device
        // identification VPD page), which the Linux kernel turns into the disk's WWID.
        assertTrue(Pattern.compile("Association:\\(0\\) LOGICAL_UNIT\\s+Designator Type:\\(3\\) NAA")
                .matcher(identification.output()).find(), identification.describe());
    }

    /** iscsi-inq takes the page code in decimal only ("0x80" parses as 0). */
    private static Tools.Result vpd(int lunId, int page) {
        return run("iscsi-inq", "-e", "1", "-c", String.valueOf(page), target.url(DISKS, lunId).toString());
    }

    private static Tools.Result run(String... argv) {
        return Tools.command(argv).timeout(TOOL_TIMEOUT).run();
    }
}
