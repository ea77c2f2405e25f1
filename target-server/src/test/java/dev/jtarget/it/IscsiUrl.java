package dev.jtarget.it;

import dev.jtarget.config.ChapCredentials;
import java.util.Optional;

/**
 * The address of one LUN in the forms the initiators take it: libiscsi's URL
 * {@code iscsi://[user%secret@]host:port/iqn/lun[?target_user=..&target_password=..]} and QEMU's iscsi driver options.
 *
 * @param chap       the initiator's CHAP credentials (one-way CHAP)
 * @param targetChap the credentials the target must prove in mutual CHAP
 */
record IscsiUrl(String portal, String target, int lun, Optional<ChapCredentials> chap,
                Optional<ChapCredentials> targetChap) {

    static IscsiUrl lun(String portal, String target, int lun) {
        return new IscsiUrl(portal, target, lun, Optional.empty(), Optional.empty());
    }

    /** The portal URL libiscsi's discovery tools ({@code iscsi-ls}) take. */
    static String portalUrl(String portal) {
        return "iscsi://" + portal;
    }

    IscsiUrl withChap(ChapCredentials credentials) {
        return new IscsiUrl(portal, target, lun, Optional.of(credentials), targetChap);
    }

    IscsiUrl withTargetChap(ChapCredentials credentials) {
        return new IscsiUrl(portal, target, lun, chap, Optional.of(credentials));
    }

    /** libiscsi's URL; its parser splits user and secret at '%' and takes no escapes, so secrets must avoid '%@/?&'. */
    @Override
    public String toString() {
        String userInfo = chap.map(c -> c.user() + "%" + c.secret() + "@").orElse("");
        String arguments = targetChap.map(c -> "?target_user=" + c.user() + "&target_password=" + c.secret())
                .orElse("");
        return "iscsi://" + userInfo + portal + "/" + target + "/" + lun + arguments;
    }

    /**
     * QEMU's {@code --image-opts} form. QEMU 7.2 must be given digests this way: handing it libiscsi's
     * {@code ?header_digest=crc32c} URL argument crashes it (it parses the URL without a libiscsi context and
     * libiscsi's iscsi_set_header_digest dereferences the missing context).
     */
    String qemuImageOpts(String... extraOptions) {
        StringBuilder opts = new StringBuilder("driver=iscsi,transport=tcp,portal=").append(portal)
                .append(",target=").append(target).append(",lun=").append(lun);
        chap.ifPresent(c -> opts.append(",user=").append(c.user()).append(",password=").append(c.secret()));
        for (String option : extraOptions) {
            opts.append(',').append(option);
        }
        return opts.toString();
    }
}
