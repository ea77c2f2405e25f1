package dev.jtarget.scsi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** The vital product data pages (SPC-4 §7.8, SBC-3 §6.5) a logical unit returns for INQUIRY with EVPD=1. */
final class VpdPages {
    private static final int SUPPORTED_PAGES = 0x00;
    private static final int UNIT_SERIAL_NUMBER = 0x80;
    private static final int DEVICE_IDENTIFICATION = 0x83;
    private static final int BLOCK_LIMITS = 0xB0;
    private static final int BLOCK_DEVICE_CHARACTERISTICS = 0xB1;
    private static final int LOGICAL_BLOCK_PROVISIONING = 0xB2;
    private static final int[] PAGES = {SUPPORTED_PAGES, UNIT_SERIAL_NUMBER, DEVICE_IDENTIFICATION, BLOCK_LIMITS,
            BLOCK_DEVICE_CHARACTERISTICS, LOGICAL_BLOCK_PROVISIONING};

    private static final int PROTOCOL_ISCSI = 0x5;
    private static final int CODE_SET_BINARY = 0x1;
    private static final int CODE_SET_ASCII = 0x2;
    private static final int CODE_SET_UTF8 = 0x3;
    private static final int ASSOCIATION_LOGICAL_UNIT = 0;
    private static final int ASSOCIATION_TARGET_PORT = 1;
    private static final int ASSOCIATION_TARGET_DEVICE = 2;
    private static final int TYPE_T10_VENDOR_ID = 0x1;
    private static final int TYPE_NAA = 0x3;
    private static final int TYPE_RELATIVE_TARGET_PORT = 0x4;
    private static final int TYPE_TARGET_PORT_GROUP = 0x5;
    private static final int TYPE_SCSI_NAME_STRING = 0x8;

    private VpdPages() {
    }

    /** The page, or INVALID FIELD IN CDB pointing at the PAGE CODE when we do not have it. */
    static byte[] page(int pageCode, LogicalUnit lu, ItNexus nexus) {
        return switch (pageCode) {
            case SUPPORTED_PAGES -> supportedPages();
            case UNIT_SERIAL_NUMBER -> unitSerialNumber(lu);
            case DEVICE_IDENTIFICATION -> deviceIdentification(lu, nexus);
            case BLOCK_LIMITS -> blockLimits(lu);
            case BLOCK_DEVICE_CHARACTERISTICS -> blockDeviceCharacteristics();
            case LOGICAL_BLOCK_PROVISIONING -> logicalBlockProvisioning(lu);
            default -> throw Cdb.invalidField(2, -1);
        };
    }

    private static byte[] header(int pageCode, int pageLength) {
        byte[] b = new byte[4 + pageLength];
        b[1] = (byte) pageCode;
        Cdb.put16(b, 2, pageLength);
        return b;
    }

    private static byte[] supportedPages() {
        byte[] b = header(SUPPORTED_PAGES, PAGES.length);
        for (int i = 0; i < PAGES.length; i++) {
            b[4 + i] = (byte) PAGES[i];
        }
        return b;
    }

    private static byte[] unitSerialNumber(LogicalUnit lu) {
        byte[] serial = lu.identity().serial().getBytes(StandardCharsets.US_ASCII);
        byte[] b = header(UNIT_SERIAL_NUMBER, serial.length);
        System.arraycopy(serial, 0, b, 4, serial.length);
        return b;
    }

    /**
     * Logical unit designators (NAA, T10 vendor id) identify the LUN everywhere; the target port designators
     * (relative port, port group, port name) and the target device name tell multipath software which path this is.
     * Each iSCSI portal group is one SCSI target port (RFC 7143 §4.4.1), so the port numbers come from the TPGT.
     */
    private static byte[] deviceIdentification(LogicalUnit lu, ItNexus nexus) {
        ByteArrayOutputStream designators = new ByteArrayOutputStream();
        byte[] naa = new byte[8];
        Cdb.put64(naa, 0, lu.identity().naa());
        designator(designators, 0, CODE_SET_BINARY, ASSOCIATION_LOGICAL_UNIT, TYPE_NAA, naa);
        byte[] vendorId = new byte[8];
        InquiryCommands.ascii(vendorId, 0, 8, InquiryCommands.VENDOR);
        designator(designators, 0, CODE_SET_ASCII, ASSOCIATION_LOGICAL_UNIT, TYPE_T10_VENDOR_ID,
                concat(vendorId, lu.identity().serial().getBytes(StandardCharsets.US_ASCII)));
        byte[] relativePort = new byte[4];
        Cdb.put16(relativePort, 2, relativeTargetPort(nexus));
        designator(designators, PROTOCOL_ISCSI, CODE_SET_BINARY, ASSOCIATION_TARGET_PORT, TYPE_RELATIVE_TARGET_PORT,
                relativePort);
        byte[] portGroup = new byte[4];
        Cdb.put16(portGroup, 2, nexus.targetPortalGroupTag());
        designator(designators, PROTOCOL_ISCSI, CODE_SET_BINARY, ASSOCIATION_TARGET_PORT, TYPE_TARGET_PORT_GROUP,
                portGroup);
        designator(designators, PROTOCOL_ISCSI, CODE_SET_UTF8, ASSOCIATION_TARGET_PORT, TYPE_SCSI_NAME_STRING,
                scsiNameString(nexus.targetPortName()));
        designator(designators, PROTOCOL_ISCSI, CODE_SET_UTF8, ASSOCIATION_TARGET_DEVICE, TYPE_SCSI_NAME_STRING,
                scsiNameString(nexus.targetName()));
        byte[] body = designators.toByteArray();
        byte[] b = header(DEVICE_IDENTIFICATION, body.length);
        System.arraycopy(body, 0, b, 4, body.length);
        return b;
    }

    /** The RELATIVE TARGET PORT IDENTIFIER of the nexus's port; 0 is reserved (SPC-4 §7.8.6.5), so TPGT 0 is 1. */
    static int relativeTargetPort(ItNexus nexus) {
        return Math.max(1, nexus.targetPortalGroupTag());
    }

    /** A designation descriptor (SPC-4 §7.8.6.1); PIV=1 whenever a protocol identifier is given. */
    private static void designator(ByteArrayOutputStream out, int protocol, int codeSet, int association, int type,
                                   byte[] value) {
        out.write(protocol << 4 | codeSet);
        out.write((protocol != 0 ? 0x80 : 0) | association << 4 | type);
        out.write(0);
        out.write(value.length);
        out.writeBytes(value);
    }

    /** UTF-8, null-terminated, padded with nulls to a multiple of 4 bytes (SPC-4 §7.8.6.11). */
    private static byte[] scsiNameString(String name) {
        byte[] text = name.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[(text.length + 4) & ~3];
        System.arraycopy(text, 0, b, 0, text.length);
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = new byte[a.length + b.length];
        System.arraycopy(a, 0, joined, 0, a.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    private static byte[] blockLimits(LogicalUnit lu) {
        BlockLimits limits = lu.limits();
        byte[] b = header(BLOCK_LIMITS, 0x3C);
        b[4] = 0x01; // WSNZ: WRITE SAME with NUMBER OF LOGICAL BLOCKS 0 ("to the end") is refused
        b[5] = (byte) limits.maxCompareAndWriteBlocks();
        Cdb.put16(b, 6, lu.optimalGranularity()); // OPTIMAL TRANSFER LENGTH GRANULARITY
        Cdb.put32(b, 8, limits.maxTransferBlocks());
        Cdb.put32(b, 20, limits.maxUnmapBlocks());
        Cdb.put32(b, 24, limits.maxUnmapDescriptors());
        if (lu.canDiscard()) {
            Cdb.put32(b, 28, lu.optimalGranularity()); // OPTIMAL UNMAP GRANULARITY
            // UGAVALID=1, UNMAP GRANULARITY ALIGNMENT 0: the granules start at LBA 0, as the physical blocks do.
            b[32] = (byte) 0x80;
        }
        Cdb.put64(b, 36, limits.maxWriteSameBlocks());
        Cdb.put32(b, 44, limits.maxAtomicTransferBlocks());
        Cdb.put32(b, 48, limits.atomicAlignment());
        Cdb.put32(b, 52, limits.atomicGranularity());
        // MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY and MAXIMUM ATOMIC BOUNDARY SIZE stay 0: a WRITE ATOMIC
        // is always one atomic write operation, so the ATOMIC BOUNDARY field must be 0.
        return b;
    }

    private static byte[] blockDeviceCharacteristics() {
        byte[] b = header(BLOCK_DEVICE_CHARACTERISTICS, 0x3C);
        Cdb.put16(b, 4, 0x0001); // MEDIUM ROTATION RATE: non-rotating medium
        return b;
    }

    /**
     * LBPU (UNMAP), LBPWS (WRITE SAME(16) with UNMAP) and LBPWS10 only when the backend can discard, LBPRZ only when
     * discarded blocks read back as zeros; provisioning type thin (010b) then, else not reported (SBC-3 §6.5.4).
     */
    private static byte[] logicalBlockProvisioning(LogicalUnit lu) {
        byte[] b = header(LOGICAL_BLOCK_PROVISIONING, 4);
        if (lu.canDiscard()) {
            b[5] = (byte) (0x80 | 0x40 | 0x20 | (lu.discardReadsZeros() ? 0x04 : 0));
            b[6] = 0x02;
        }
        return b;
    }
}
