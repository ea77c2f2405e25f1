package dev.jtarget.it;

import dev.jtarget.config.ChapCredentials;
import java.nio.file.Path;
import java.util.List;

/** Writes a jtarget configuration file (namespace {@code urn:jtarget:config:1}) the way a user would. */
final class ConfigXml {
    /** A golden image ({@code <image>}) that {@link TargetSpec.ClonePerInitiator} targets clone; a raw file. */
    record Image(String name, Path path) {
    }

    private ConfigXml() {
    }

    /**
     * @param portal  the {@code host:port} to listen on
     * @param lunDir  where the LUNs' backing files live (absolute paths, so the server's working directory does not
     *                matter); the server creates each file at its configured size
     */
    static String render(String portal, List<TargetSpec> targets, Path lunDir) {
        return render(List.of(portal), "", targets, lunDir);
    }

    /** {@link #render(String, List, Path)} listening on every one of {@code portals}. */
    static String render(List<String> portals, List<TargetSpec> targets, Path lunDir) {
        return render(portals, "", targets, lunDir);
    }

    /**
     * @param serverSettings elements that follow the portal in the file ({@code <nop-in .../>}, {@code <cache .../>}),
     *                       written as they are
     */
    static String render(String portal, String serverSettings, List<TargetSpec> targets, Path lunDir) {
        return render(List.of(portal), serverSettings, targets, lunDir);
    }

    /** {@link #render(String, List, Path)} declaring {@code images} for the targets' clones. */
    static String render(String portal, List<Image> images, List<TargetSpec> targets, Path lunDir) {
        StringBuilder settings = new StringBuilder();
        for (Image image : images) {
            settings.append("  <image name=\"").append(escape(image.name())).append("\" path=\"")
                    .append(escape(image.path().toAbsolutePath().toString())).append("\"/>\n");
        }
        return render(List.of(portal), settings.toString(), targets, lunDir);
    }

    private static String render(List<String> portals, String serverSettings, List<TargetSpec> targets,
                                 Path lunDir) {
        StringBuilder xml = new StringBuilder();
        xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        xml.append("<jtarget xmlns=\"urn:jtarget:config:1\">\n");
        for (String portal : portals) {
            xml.append("  <portal listen=\"").append(escape(portal)).append("\"/>\n");
        }
        xml.append(serverSettings);
        for (TargetSpec target : targets) {
            xml.append("  <target name=\"").append(escape(target.name())).append("\">\n");
            target.chap().ifPresent(chap -> credentials(xml, "chap", chap));
            target.mutualChap().ifPresent(chap -> credentials(xml, "mutual-chap", chap));
            for (String pattern : target.allowedInitiators()) {
                xml.append("    <allow initiator=\"").append(escape(pattern)).append("\"/>\n");
            }
            for (TargetSpec.Lun lun : target.luns()) {
                xml.append("    <lun id=\"").append(lun.id()).append("\" write-cache=\"on\" block-size=\"")
                        .append(TargetSpec.Lun.BLOCK_SIZE).append("\" physical-block-size=\"")
                        .append(lun.physicalBlockSize()).append("\"")
                        .append(lun.readOnly() ? " read-only=\"true\"" : "").append(">\n");
                Path file = target.backingFile(lunDir, lun).toAbsolutePath();
                xml.append("      <file path=\"").append(escape(file.toString()))
                        .append("\" size=\"").append(lun.sizeMib()).append("MiB\"/>\n");
                xml.append("    </lun>\n");
            }
            target.clones().ifPresent(clones -> xml.append("    <clone-per-initiator image=\"")
                    .append(escape(clones.image())).append("\" dir=\"")
                    .append(escape(clones.dir().toAbsolutePath().toString())).append("\" size=\"")
                    .append(clones.sizeBytes() / TargetSpec.mib(1)).append("MiB\"/>\n"));
            xml.append("  </target>\n");
        }
        xml.append("</jtarget>\n");
        return xml.toString();
    }

    private static void credentials(StringBuilder xml, String element, ChapCredentials chap) {
        xml.append("    <").append(element).append(" user=\"").append(escape(chap.user()))
                .append("\" secret=\"").append(escape(chap.secret())).append("\"/>\n");
    }

    private static String escape(String value) {
        return value.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
