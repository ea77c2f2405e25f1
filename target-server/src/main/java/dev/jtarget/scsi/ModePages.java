package dev.jtarget.scsi;

/**
 * The mode pages of a logical unit as byte images (SPC-4 §7.5, SBC-3 §6.4): the values for given
 * {@link ModeValues}, the changeable-bits mask, and the way back from a page to values for MODE SELECT.
 */
final class ModePages {
    private static final int CACHING = 0x08;
    private static final int CONTROL = 0x0A;
    private static final int INFORMATIONAL_EXCEPTIONS = 0x1C;
    static final int ALL_PAGES = 0x3F;
    /** Ascending page code order, as MODE SENSE with page code 3Fh returns them (SPC-4 §6.11). */
    static final int[] SUPPORTED = {CACHING, CONTROL, INFORMATIONAL_EXCEPTIONS};

    private static final int WCE = 0x04;     // caching page byte 2
    private static final int D_SENSE = 0x04; // control page byte 2
    private static final int GLTSD = 0x02;   // control page byte 2: we keep no log parameters to save
    private static final int QUEUE_ALGORITHM_UNRESTRICTED = 0x10; // control page byte 3: tasks may run reordered
    /**
     * Control page byte 5: a command aborted on behalf of another I_T nexus (CLEAR TASK SET, LOGICAL UNIT RESET,
     * target reset) ends with TASK ABORTED status (SAM-5 §5.6), which the iSCSI layer sends; an initiator can retry
     * at once instead of waiting for its command timeout. TST stays 000b: one task set shared by all I_T nexuses.
     */
    private static final int TAS = 0x40;
    private static final int DEXCPT = 0x08;  // informational exceptions byte 2: we report none

    private ModePages() {
    }

    static boolean supported(int pageCode) {
        return pageCode == CACHING || pageCode == CONTROL || pageCode == INFORMATIONAL_EXCEPTIONS;
    }

    /** The page as it reads with {@code values} (current, default or saved values). */
    static byte[] page(int pageCode, ModeValues values) {
        return switch (pageCode) {
            case CACHING -> {
                byte[] b = blank(CACHING, 0x12);
                b[2] = (byte) (values.writeCacheEnabled() ? WCE : 0);
                yield b;
            }
            case CONTROL -> {
                byte[] b = blank(CONTROL, 0x0A);
                b[2] = (byte) (GLTSD | (values.descriptorSense() ? D_SENSE : 0));
                b[3] = QUEUE_ALGORITHM_UNRESTRICTED;
                b[5] = TAS;
                yield b;
            }
            case INFORMATIONAL_EXCEPTIONS -> {
                byte[] b = blank(INFORMATIONAL_EXCEPTIONS, 0x0A);
                b[2] = DEXCPT;
                yield b;
            }
            default -> throw new IllegalArgumentException("mode page " + pageCode);
        };
    }

    /** The page with a one in every bit MODE SELECT may change: WCE and D_SENSE. */
    static byte[] changeable(int pageCode) {
        byte[] b = blank(pageCode, page(pageCode, new ModeValues(false, false)).length - 2);
        if (pageCode == CACHING) {
            b[2] = WCE;
        } else if (pageCode == CONTROL) {
            b[2] = D_SENSE;
        }
        return b;
    }

    /** {@code base} with the changeable bits taken from {@code page} (already checked against the mask). */
    static ModeValues apply(int pageCode, byte[] page, int at, ModeValues base) {
        return switch (pageCode) {
            case CACHING -> base.withWriteCacheEnabled((page[at + 2] & WCE) != 0);
            case CONTROL -> base.withDescriptorSense((page[at + 2] & D_SENSE) != 0);
            default -> base;
        };
    }

    private static byte[] blank(int pageCode, int pageLength) {
        byte[] b = new byte[2 + pageLength];
        b[0] = (byte) pageCode; // PS=0: we cannot save pages
        b[1] = (byte) pageLength;
        return b;
    }
}
