package dev.jtarget.scsi;

/**
 * The mode parameters MODE SELECT can change, shared by every I_T nexus of a logical unit.
 *
 * @param writeCacheEnabled WCE of the caching page (SBC-3 §6.4.5): when false every write is made durable before
 *                          it completes
 * @param descriptorSense   D_SENSE of the control page (SPC-4 §7.5.8): sense data in descriptor format
 */
record ModeValues(boolean writeCacheEnabled, boolean descriptorSense) {

    ModeValues withWriteCacheEnabled(boolean value) {
        return new ModeValues(value, descriptorSense);
    }

    ModeValues withDescriptorSense(boolean value) {
        return new ModeValues(writeCacheEnabled, value);
    }
}
