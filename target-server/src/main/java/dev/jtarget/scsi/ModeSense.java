package dev.jtarget.scsi;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;

/** MODE SENSE(6) and MODE SENSE(10) (SPC-4 §6.11, §6.12): header, block descriptor and pages. */
final class ModeSense {
    private static final int MODE_SENSE_10 = 0x5A;
    private static final int PAGE_CONTROL_CURRENT = 0;
    private static final int PAGE_CONTROL_CHANGEABLE = 1;
    private static final int PAGE_CONTROL_SAVED = 3;
    private static final int ALL_SUBPAGES = 0xFF;
    private static final int WRITE_PROTECT = 0x80;
    /** DPOFUA=1: DPO and FUA are honoured in READ/WRITE CDBs (SBC-3 §6.4.1). */
    private static final int DPOFUA = 0x10;

    private ModeSense() {
    }

    static CompletableFuture<ScsiResponse> modeSense(Request request) {
        byte[] cdb = request.cdb();
        LogicalUnit lu = request.lu();
        boolean ten = Cdb.u8(cdb, 0) == MODE_SENSE_10;
        boolean disableBlockDescriptors = Cdb.bit(cdb, 1, 3);
        boolean longLba = ten && Cdb.bit(cdb, 1, 4);
        int pageControl = Cdb.bits(cdb, 2, 6, 2);
        int pageCode = Cdb.bits(cdb, 2, 0, 6);
        int subpage = Cdb.u8(cdb, 3);
        int allocationLength = ten ? Cdb.u16(cdb, 7) : Cdb.u8(cdb, 4);

        if (pageControl == PAGE_CONTROL_SAVED) {
            // No page can be saved (PS=0 in every page), so there are no saved values to report (SPC-4 §6.11).
            throw new CheckCondition(Sense.SAVING_PARAMETERS_NOT_SUPPORTED.withCdbFieldPointer(2, 7));
        }
        if (pageCode != ModePages.ALL_PAGES && !ModePages.supported(pageCode)) {
            throw Cdb.invalidField(2, 5);
        }
        // We have no subpages: subpage 00h is the page itself, FFh "all subpages" is the same thing.
        if (subpage != 0 && subpage != ALL_SUBPAGES) {
            throw Cdb.invalidField(3, -1);
        }

        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        for (int code : ModePages.SUPPORTED) {
            if (pageCode == ModePages.ALL_PAGES || pageCode == code) {
                pages.writeBytes(switch (pageControl) {
                    case PAGE_CONTROL_CURRENT -> ModePages.page(code, lu.mode());
                    case PAGE_CONTROL_CHANGEABLE -> ModePages.changeable(code);
                    default -> ModePages.page(code, lu.defaultMode());
                });
            }
        }
        byte[] descriptor = disableBlockDescriptors ? new byte[0]
                : blockDescriptor(lu, longLba, pageControl == PAGE_CONTROL_CHANGEABLE);
        byte[] data = assemble(ten, lu, longLba && !disableBlockDescriptors, descriptor, pages.toByteArray());
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, allocationLength));
    }

    /**
     * The direct-access block descriptor (SBC-3 §6.4.2): capacity and block length, or all zeros in the changeable
     * mask since neither can be changed. A capacity beyond 32 bits reads FFFFFFFFh in the short form.
     */
    private static byte[] blockDescriptor(LogicalUnit lu, boolean longLba, boolean changeableMask) {
        if (longLba) {
            byte[] b = new byte[16];
            if (!changeableMask) {
                Cdb.put64(b, 0, lu.blockCount());
                Cdb.put32(b, 12, lu.blockSize());
            }
            return b;
        }
        byte[] b = new byte[8];
        if (!changeableMask) {
            Cdb.put32(b, 0, Math.min(lu.blockCount(), 0xFFFF_FFFFL));
            b[5] = (byte) (lu.blockSize() >>> 16);
            Cdb.put16(b, 6, lu.blockSize());
        }
        return b;
    }

    private static byte[] assemble(boolean ten, LogicalUnit lu, boolean longLba, byte[] descriptor, byte[] pages) {
        int headerLength = ten ? 8 : 4;
        byte[] b = new byte[headerLength + descriptor.length + pages.length];
        int deviceSpecific = (lu.readOnly() ? WRITE_PROTECT : 0) | DPOFUA;
        if (ten) {
            Cdb.put16(b, 0, b.length - 2);
            b[3] = (byte) deviceSpecific;
            b[4] = (byte) (longLba ? 0x01 : 0);
            Cdb.put16(b, 6, descriptor.length);
        } else {
            b[0] = (byte) (b.length - 1);
            b[2] = (byte) deviceSpecific;
            b[3] = (byte) descriptor.length;
        }
        System.arraycopy(descriptor, 0, b, headerLength, descriptor.length);
        System.arraycopy(pages, 0, b, headerLength + descriptor.length, pages.length);
        return b;
    }
}
