package dev.jtarget.scsi;

import io.netty.buffer.ByteBufUtil;
import java.util.concurrent.CompletableFuture;

/**
 * MODE SELECT(6) and MODE SELECT(10) (SPC-4 §6.9, §6.10). Only WCE (caching page) and D_SENSE (control page) can
 * change; every other byte of a page must equal the current value, the block descriptor must restate the current
 * geometry, and anything else is INVALID FIELD IN PARAMETER LIST pointing at the offending byte and bit.
 */
final class ModeSelect {
    private static final int MODE_SELECT_10 = 0x55;

    private ModeSelect() {
    }

    static CompletableFuture<ScsiResponse> modeSelect(Request request) {
        byte[] cdb = request.cdb();
        ScsiCommand command = request.command();
        LogicalUnit lu = request.lu();
        boolean ten = Cdb.u8(cdb, 0) == MODE_SELECT_10;
        int listLength = ten ? Cdb.u16(cdb, 7) : Cdb.u8(cdb, 4);
        if (Cdb.bit(cdb, 1, 0)) {
            throw Cdb.invalidField(1, 0); // SP=1: we cannot save pages
        }
        if (listLength == 0) {
            return CompletableFuture.completedFuture(Transfers.good(command, 0));
        }
        if (!Cdb.bit(cdb, 1, 4)) {
            throw Cdb.invalidField(1, 4); // PF=0 would mean vendor-specific pages
        }
        byte[] list = ByteBufUtil.getBytes(Transfers.dataOut(command, listLength));
        return lu.changeMode(command.nexus(), current -> parse(list, ten, lu, current))
                .thenApply(done -> Transfers.good(command, listLength));
    }

    private static ModeValues parse(byte[] list, boolean ten, LogicalUnit lu, ModeValues current) {
        int headerLength = ten ? 8 : 4;
        if (list.length < headerLength) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        int mediumTypeAt = ten ? 2 : 1;
        if (list[mediumTypeAt] != 0) {
            throw invalidParameter(mediumTypeAt, -1);
        }
        boolean longLba = ten && Cdb.bit(list, 4, 0);
        int descriptorsLength = ten ? Cdb.u16(list, 6) : Cdb.u8(list, 3);
        int descriptorSize = longLba ? 16 : 8;
        if (descriptorsLength % descriptorSize != 0) {
            throw invalidParameter(ten ? 6 : 3, -1);
        }
        if (headerLength + descriptorsLength > list.length) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        for (int at = headerLength; at < headerLength + descriptorsLength; at += descriptorSize) {
            checkBlockDescriptor(list, at, longLba, lu);
        }
        ModeValues next = current;
        int at = headerLength + descriptorsLength;
        while (at < list.length) {
            next = parsePage(list, at, next);
            at += Cdb.u8(list, at + 1) + 2;
        }
        return next;
    }

    /** Zero blocks means "keep the capacity" (SBC-3 §6.4.2); we cannot resize or reformat. */
    private static void checkBlockDescriptor(byte[] list, int at, boolean longLba, LogicalUnit lu) {
        long blocks = longLba ? Cdb.u64(list, at) : Cdb.u32(list, at);
        long current = longLba ? lu.blockCount() : Math.min(lu.blockCount(), 0xFFFF_FFFFL);
        if (blocks != 0 && blocks != current) {
            throw invalidParameter(at, -1);
        }
        int lengthAt = longLba ? at + 12 : at + 5;
        long blockLength = longLba ? Cdb.u32(list, lengthAt) : (long) Cdb.u8(list, lengthAt) << 16
                | Cdb.u16(list, lengthAt + 1);
        if (blockLength != lu.blockSize()) {
            throw invalidParameter(lengthAt, -1);
        }
    }

    private static ModeValues parsePage(byte[] list, int at, ModeValues values) {
        if (list.length - at < 2) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (Cdb.bit(list, at, 7)) {
            throw invalidParameter(at, 7); // PS is reserved in MODE SELECT
        }
        if (Cdb.bit(list, at, 6)) {
            throw invalidParameter(at, 6); // SPF: we have no subpages
        }
        int pageCode = Cdb.bits(list, at, 0, 6);
        if (!ModePages.supported(pageCode)) {
            throw invalidParameter(at, 5);
        }
        byte[] current = ModePages.page(pageCode, values);
        if (Cdb.u8(list, at + 1) != current.length - 2) {
            throw invalidParameter(at + 1, -1);
        }
        if (at + current.length > list.length) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] changeable = ModePages.changeable(pageCode);
        for (int i = 2; i < current.length; i++) {
            int fixed = (list[at + i] ^ current[i]) & ~changeable[i] & 0xFF;
            if (fixed != 0) {
                throw invalidParameter(at + i, 31 - Integer.numberOfLeadingZeros(fixed));
            }
        }
        return ModePages.apply(pageCode, list, at, values);
    }

    private static CheckCondition invalidParameter(int byteIndex, int bit) {
        return new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(byteIndex, bit));
    }
}
