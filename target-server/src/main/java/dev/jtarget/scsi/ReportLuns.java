package dev.jtarget.scsi;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** REPORT LUNS (SPC-4 §6.33): answered through any LUN, existing or not. */
final class ReportLuns {
    private static final int ALL_LOGICAL_UNITS = 0x00;
    private static final int WELL_KNOWN_ONLY = 0x01;
    private static final int ALL_INCLUDING_WELL_KNOWN = 0x02;

    private ReportLuns() {
    }

    /**
     * We have no well-known logical units, so SELECT REPORT 01h lists nothing and 02h the same as 00h. An allocation
     * length under 16 is truncation like any other (SPC-4 dropped SPC-3's error for it).
     */
    static CompletableFuture<ScsiResponse> reportLuns(Request request) {
        byte[] cdb = request.cdb();
        int select = Cdb.u8(cdb, 2);
        List<Integer> luns = switch (select) {
            case ALL_LOGICAL_UNITS, ALL_INCLUDING_WELL_KNOWN -> request.lunIds();
            case WELL_KNOWN_ONLY -> List.of();
            default -> throw Cdb.invalidField(2, -1);
        };
        byte[] data = new byte[8 + 8 * luns.size()];
        Cdb.put32(data, 0, 8L * luns.size());
        for (int i = 0; i < luns.size(); i++) {
            encode(luns.get(i), data, 8 + 8 * i);
        }
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, Cdb.u32(cdb, 6)));
    }

    /**
     * SAM-5 §4.7: peripheral device addressing (00b) for LUNs below 256, as initiators expect for small LUNs, and
     * flat space addressing (01b) up to 16383.
     */
    static void encode(int lun, byte[] b, int at) {
        if (lun < 256) {
            b[at + 1] = (byte) lun;
        } else {
            b[at] = (byte) (0x40 | lun >>> 8);
            b[at + 1] = (byte) lun;
        }
    }
}
