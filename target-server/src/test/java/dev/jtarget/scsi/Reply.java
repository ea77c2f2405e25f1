package dev.jtarget.scsi;

import dev.jtarget.scsi.ScsiResponse.Residual;

/** What an initiator sees of one command: status, sense, the Data-In bytes and the residual. */
record Reply(int status, byte[] sense, byte[] data, Residual residual, int residualCount) {

    boolean descriptorFormat() {
        return (sense[0] & 0x7F) == 0x72 || (sense[0] & 0x7F) == 0x73;
    }

    int senseKey() {
        return descriptorFormat() ? sense[1] & 0x0F : sense[2] & 0x0F;
    }

    int asc() {
        return (descriptorFormat() ? sense[2] : sense[12]) & 0xFF;
    }

    int ascq() {
        return (descriptorFormat() ? sense[3] : sense[13]) & 0xFF;
    }

    /** The INFORMATION field, or -1 when not valid. */
    long information() {
        if (!descriptorFormat()) {
            return (sense[0] & 0x80) != 0 ? Cdb.u32(sense, 3) : -1;
        }
        int at = descriptor(0x00);
        return at < 0 ? -1 : Cdb.u64(sense, at + 4);
    }

    /** The three sense-key-specific bytes (SKSV in the top bit), or 0 when absent. */
    int senseKeySpecific() {
        int at;
        if (descriptorFormat()) {
            int descriptor = descriptor(0x02);
            if (descriptor < 0) {
                return 0;
            }
            at = descriptor + 4;
        } else {
            at = 15;
        }
        return (sense[at] & 0xFF) << 16 | (sense[at + 1] & 0xFF) << 8 | sense[at + 2] & 0xFF;
    }

    /** The field pointer when SKSV=1, else -1. */
    int fieldPointer() {
        int sks = senseKeySpecific();
        return (sks & 0x800000) != 0 ? sks & 0xFFFF : -1;
    }

    /** The bit pointer when BPV=1, else -1. */
    int bitPointer() {
        int sks = senseKeySpecific();
        return (sks & 0x080000) != 0 ? sks >> 16 & 0x07 : -1;
    }

    /** C/D: the pointer refers to the CDB (true) or the parameter list (false). */
    boolean pointsIntoCdb() {
        return (senseKeySpecific() & 0x400000) != 0;
    }

    private int descriptor(int type) {
        for (int at = 8; at + 1 < sense.length; at += 2 + (sense[at + 1] & 0xFF)) {
            if ((sense[at] & 0xFF) == type) {
                return at;
            }
        }
        return -1;
    }
}
