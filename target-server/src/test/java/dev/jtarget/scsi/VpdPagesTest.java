package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BackendCapabilities;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class VpdPagesTest {
    private final Initiator initiator = new Initiator(Luns.target(Luns.memoryLun(0), Luns.memoryLun(1)), NEXUS_A);

    private byte[] page(int lun, int code) {
        Reply reply = initiator.read(lun, Cdbs.inquiry(true, code, 1024), 1024);
        assertGood(reply);
        assertEquals(code, reply.data()[1] & 0xFF, "PAGE CODE");
        assertEquals(reply.data().length - 4, Cdb.u16(reply.data(), 2), "PAGE LENGTH");
        return reply.data();
    }

    @Test
    void supportedPagesListsEveryPageInAscendingOrder() {
        byte[] d = page(0, 0x00);
        assertArrayEquals(new byte[] {0x00, (byte) 0x80, (byte) 0x83, (byte) 0xB0, (byte) 0xB1, (byte) 0xB2},
                Arrays.copyOfRange(d, 4, d.length));
    }

    @Test
    void everyListedPageCanBeRead() {
        byte[] d = page(0, 0x00);
        for (int i = 4; i < d.length; i++) {
            page(0, d[i] & 0xFF);
        }
    }

    @Test
    void serialNumberIsStablePerLunAndDiffersBetweenLuns() {
        String serial0 = serial(page(0, 0x80));
        String again = serial(new Initiator(Luns.target(Luns.memoryLun(0)), NEXUS_A)
                .read(0, Cdbs.inquiry(true, 0x80, 255), 255).data());
        assertEquals(serial0, again);
        assertNotEquals(serial0, serial(page(1, 0x80)));
    }

    private static String serial(byte[] page) {
        return new String(page, 4, page.length - 4, StandardCharsets.US_ASCII);
    }

    @Test
    void deviceIdentificationHasALocallyAssignedNaaUniquePerLun() {
        Designator naa0 = designators(page(0, 0x83)).getFirst();
        Designator naa1 = designators(page(1, 0x83)).getFirst();

        assertEquals(0x3, naa0.type(), "designator type NAA");
        assertEquals(0, naa0.association(), "associated with the logical unit");
        assertEquals(8, naa0.value().length);
        assertEquals(0x3, (naa0.value()[0] & 0xF0) >> 4, "NAA 3h: locally assigned");
        assertNotEquals(Arrays.toString(naa0.value()), Arrays.toString(naa1.value()));
        assertEquals(DeviceIdentity.derive(Initiator.TARGET_NAME, 0).naa(), Cdb.u64(naa0.value(), 0),
                "derived from target name and LUN, so it survives restarts");
    }

    @Test
    void deviceIdentificationNamesTheTargetPortAndDevice() {
        List<Designator> all = designators(page(0, 0x83));

        Designator vendor = find(all, 0, 0x1);
        assertEquals("JTARGET ", new String(vendor.value(), 0, 8, StandardCharsets.US_ASCII));
        Designator relativePort = find(all, 1, 0x4);
        assertEquals(0x5, relativePort.protocol(), "iSCSI");
        assertEquals(1, Cdb.u16(relativePort.value(), 2));
        assertEquals(1, Cdb.u16(find(all, 1, 0x5).value(), 2), "target port group = TPGT");
        assertEquals(NEXUS_A.targetPortName(), nameString(find(all, 1, 0x8)));
        assertEquals(Initiator.TARGET_NAME, nameString(find(all, 2, 0x8)));
    }

    private static String nameString(Designator d) {
        assertEquals(0, d.value().length % 4, "SCSI name strings are padded to 4 bytes");
        int end = 0;
        while (d.value()[end] != 0) {
            end++;
        }
        return new String(d.value(), 0, end, StandardCharsets.UTF_8);
    }

    record Designator(int protocol, int codeSet, int association, int type, byte[] value) {
    }

    private static List<Designator> designators(byte[] page) {
        List<Designator> list = new ArrayList<>();
        for (int at = 4; at < page.length; at += 4 + (page[at + 3] & 0xFF)) {
            list.add(new Designator((page[at] & 0xF0) >> 4, page[at] & 0x0F, (page[at + 1] & 0x30) >> 4,
                    page[at + 1] & 0x0F, Arrays.copyOfRange(page, at + 4, at + 4 + (page[at + 3] & 0xFF))));
        }
        return list;
    }

    private static Designator find(List<Designator> all, int association, int type) {
        return all.stream().filter(d -> d.association() == association && d.type() == type).findFirst()
                .orElseThrow(() -> new AssertionError("no designator " + association + "/" + type));
    }

    @Test
    void blockLimitsAdvertiseTransferAndUnmapLimits() {
        byte[] d = page(0, 0xB0);
        assertEquals(0x3C, Cdb.u16(d, 2));
        assertEquals(1, d[4] & 0x01, "WSNZ");
        assertEquals(255, d[5] & 0xFF, "MAXIMUM COMPARE AND WRITE LENGTH");
        assertEquals(8, Cdb.u16(d, 6), "OPTIMAL TRANSFER LENGTH GRANULARITY: a 4 KiB page");
        assertEquals(BlockLimits.MAX_TRANSFER_BYTES / Luns.BLOCK_SIZE, Cdb.u32(d, 8), "MAXIMUM TRANSFER LENGTH");
        assertEquals(0xFFFF_FFFFL, Cdb.u32(d, 20), "MAXIMUM UNMAP LBA COUNT: no limit");
        assertTrue(Cdb.u32(d, 24) > 0, "MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT");
        assertEquals(8, Cdb.u32(d, 28), "OPTIMAL UNMAP GRANULARITY");
        assertEquals(0x8000_0000L, Cdb.u32(d, 32), "UGAVALID, UNMAP GRANULARITY ALIGNMENT 0");
        assertEquals(0xFFFF, Cdb.u64(d, 36), "MAXIMUM WRITE SAME LENGTH: what WRITE SAME(10) can carry");
        assertEquals(BlockLimits.MAX_TRANSFER_BYTES / Luns.BLOCK_SIZE, Cdb.u32(d, 44), "MAXIMUM ATOMIC TRANSFER LENGTH");
        assertEquals(8, Cdb.u32(d, 48), "ATOMIC ALIGNMENT: a 4 KiB page");
        assertEquals(8, Cdb.u32(d, 52), "ATOMIC TRANSFER LENGTH GRANULARITY: a 4 KiB page");
        assertEquals(0, Cdb.u32(d, 56), "MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY: no boundaries");
        assertEquals(0, Cdb.u32(d, 60), "MAXIMUM ATOMIC BOUNDARY SIZE: no boundaries");
    }

    @Test
    void granularitiesCoverAPhysicalBlockLargerThanAPage() {
        Initiator initiator = new Initiator(Luns.target(Luns.physicalBlockLun(0, 64 << 10)), NEXUS_A);
        byte[] d = initiator.read(0, Cdbs.inquiry(true, 0xB0, 255), 255).data();
        assertEquals(128, Cdb.u16(d, 6), "OPTIMAL TRANSFER LENGTH GRANULARITY: one 64 KiB physical block");
        assertEquals(128, Cdb.u32(d, 28), "OPTIMAL UNMAP GRANULARITY: one physical block");
        assertEquals(0x8000_0000L, Cdb.u32(d, 32), "UGAVALID, UNMAP GRANULARITY ALIGNMENT 0");
        assertEquals(8, Cdb.u32(d, 48), "ATOMIC ALIGNMENT: still a page, atomicity is the backend's");
    }

    @Test
    void aPhysicalBlockOfOnePageKeepsThePageGranularity() {
        Initiator initiator = new Initiator(Luns.target(Luns.physicalBlockLun(0, 4096)), NEXUS_A);
        byte[] d = initiator.read(0, Cdbs.inquiry(true, 0xB0, 255), 255).data();
        assertEquals(8, Cdb.u16(d, 6), "OPTIMAL TRANSFER LENGTH GRANULARITY");
        assertEquals(8, Cdb.u32(d, 28), "OPTIMAL UNMAP GRANULARITY");
    }

    @Test
    void blockDeviceCharacteristicsReportANonRotatingMedium() {
        assertEquals(1, Cdb.u16(page(0, 0xB1), 4));
    }

    @Test
    void provisioningPageAdvertisesUnmapAndZeroReadsWhenTheBackendDiscards() {
        byte[] d = page(0, 0xB2);
        assertEquals(0x80 | 0x40 | 0x20 | 0x04, d[5] & 0xFF, "LBPU, LBPWS, LBPWS10, LBPRZ");
        assertEquals(0x02, d[6] & 0x07, "thin provisioned");
    }

    @Test
    void provisioningPageAdvertisesNothingWhenTheBackendCannotDiscard() {
        RecordingBackend backend = new RecordingBackend(Luns.BLOCKS * Luns.BLOCK_SIZE, Luns.BLOCK_SIZE,
                new BackendCapabilities(false, false, false, false));
        Initiator fixed = new Initiator(Luns.target(Luns.lun(0, backend, true, false)), NEXUS_A);
        byte[] d = fixed.read(0, Cdbs.inquiry(true, 0xB2, 255), 255).data();
        assertEquals(0, d[5]);
        assertEquals(0, d[6]);
        byte[] limits = fixed.read(0, Cdbs.inquiry(true, 0xB0, 255), 255).data();
        assertEquals(0, Cdb.u32(limits, 20), "no UNMAP");
    }

    @Test
    void provisioningPageOmitsLbprzWhenDiscardedBlocksDoNotReadZero() {
        RecordingBackend backend = new RecordingBackend(Luns.BLOCKS * Luns.BLOCK_SIZE, Luns.BLOCK_SIZE,
                new BackendCapabilities(true, false, false, false));
        Initiator fixed = new Initiator(Luns.target(Luns.lun(0, backend, true, false)), NEXUS_A);
        assertEquals(0x80 | 0x40 | 0x20, fixed.read(0, Cdbs.inquiry(true, 0xB2, 255), 255).data()[5] & 0xFF);
    }

    @Test
    void unknownVpdPageIsAnInvalidFieldAtThePageCode() {
        assertInvalidField(initiator.read(0, Cdbs.inquiry(true, 0x86, 255), 255), 2, -1);
    }
}
