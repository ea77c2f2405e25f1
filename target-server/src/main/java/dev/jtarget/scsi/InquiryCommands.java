package dev.jtarget.scsi;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** INQUIRY (SPC-4 §6.6): standard data, or a VPD page with EVPD=1. */
final class InquiryCommands {
    static final String VENDOR = "JTARGET";
    static final String PRODUCT = "VIRTUAL DISK";
    static final String REVISION = "0001";

    private static final int STANDARD_LENGTH = 96;
    /** Peripheral qualifier 011b + device type 1Fh: no logical unit can be here (SPC-4 §6.6.2). */
    private static final int NO_LOGICAL_UNIT = 0x7F;
    private static final int DIRECT_ACCESS_BLOCK_DEVICE = 0x00;
    /** Version descriptors (SPC-4 table 49, "no version claimed" codes): SAM-5, SPC-4, SBC-3, iSCSI. */
    private static final int[] VERSION_DESCRIPTORS = {0x00A0, 0x0460, 0x04C0, 0x0960};

    private InquiryCommands() {
    }

    static CompletableFuture<ScsiResponse> inquiry(Request request) {
        byte[] cdb = request.cdb();
        boolean vitalProductData = Cdb.bit(cdb, 1, 0);
        int pageCode = Cdb.u8(cdb, 2);
        int allocationLength = Cdb.u16(cdb, 3);
        LogicalUnit lu = request.lu();
        byte[] data;
        if (!vitalProductData) {
            if (pageCode != 0) {
                throw Cdb.invalidField(2, -1);
            }
            data = standard(lu == null ? NO_LOGICAL_UNIT : DIRECT_ACCESS_BLOCK_DEVICE);
        } else if (lu == null) {
            throw new CheckCondition(Sense.LOGICAL_UNIT_NOT_SUPPORTED);
        } else {
            data = VpdPages.page(pageCode, lu, request.command().nexus());
        }
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, allocationLength));
    }

    private static byte[] standard(int peripheral) {
        byte[] b = new byte[STANDARD_LENGTH];
        b[0] = (byte) peripheral;
        b[1] = 0;          // RMB=0: not removable
        b[2] = 0x06;       // VERSION: SPC-4
        b[3] = 0x10 | 0x02; // HISUP=1 (we use SAM-5 LUN formats), RESPONSE DATA FORMAT=2
        b[4] = (byte) (STANDARD_LENGTH - 5);
        b[5] = 0x08;       // 3PC=1: EXTENDED COPY; TPGS=0: no ALUA; SCCS, PROTECT 0
        b[6] = 0;
        b[7] = 0x02;       // CMDQUE=1: full task management model
        ascii(b, 8, 8, VENDOR);
        ascii(b, 16, 16, PRODUCT);
        ascii(b, 32, 4, REVISION);
        for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) {
            Cdb.put16(b, 58 + 2 * i, VERSION_DESCRIPTORS[i]);
        }
        return b;
    }

    /** Left-aligned, space-padded ASCII (SPC-4 §4.4.1). */
    static void ascii(byte[] b, int at, int width, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < width; i++) {
            b[at + i] = i < bytes.length ? bytes[i] : (byte) ' ';
        }
    }
}
