package dev.jtarget.server;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.io.Libc;
import dev.jtarget.backend.qcow2.Qcow2Overlay;
import dev.jtarget.backend.qcow2.Qcow2Summary;
import dev.jtarget.config.ImageConfig;
import dev.jtarget.scsi.ClonePerInitiatorTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jtarget image list | reset | promote | retarget | expire}, run inside the server that serves the clones:
 * only it knows who is logged in, and every change to a clone file runs under the clone's per-initiator
 * serialization ({@link ClonePerInitiatorTarget#withoutSessions}), so it never races a login. The admin endpoint
 * runs one operation at a time. A refused or failed operation throws an {@link IOException} whose message says why.
 */
final class ImageOperations {
    private static final Logger log = LoggerFactory.getLogger(ImageOperations.class);

    /** A clone-per-initiator target: its clone files and its SCSI device, which knows its sessions. */
    record CloneTarget(InitiatorClones clones, ClonePerInitiatorTarget device) {
        String name() {
            return clones.targetName();
        }
    }

    private final List<CloneTarget> targets;
    private final ImageCatalog catalog;
    private final ImageCaches imageCaches;
    private final Clock clock;

    ImageOperations(List<CloneTarget> targets, ImageCatalog catalog, ImageCaches imageCaches, Clock clock) {
        this.targets = List.copyOf(targets);
        this.catalog = catalog;
        this.imageCaches = imageCaches;
        this.clock = clock;
    }

    /** Runs {@code request}; returns the text to show. */
    String run(ImageRequest request) throws IOException {
        return switch (request) {
            case ImageRequest.ListAll ignored -> list();
            case ImageRequest.Reset reset -> reset(reset.target(), reset.initiator());
            case ImageRequest.Promote promote -> promote(promote.target(), promote.initiator(), promote.imageName());
            case ImageRequest.Retarget retarget -> retarget(retarget.target(), retarget.imageName());
            case ImageRequest.Expire expire -> expire(expire.days(), expire.dryRun());
        };
    }

    String list() throws IOException {
        StringBuilder text = new StringBuilder();
        for (ImageConfig image : catalog.all()) {
            text.append("image ").append(image.name()).append(" path=").append(image.path())
                    .append(" size=").append(image.sizeBytes())
                    .append(" file-bytes=").append(allocatedBytes(image.path()))
                    .append(" from=").append(catalog.origin(image)).append('\n');
        }
        for (CloneTarget target : targets) {
            ImageConfig image = target.clones().image();
            text.append("target ").append(target.name()).append(" image=").append(image.name())
                    .append(catalog.isRetargeted(target.name()) ? " (retargeted in " + catalog.stateFile() + ")" : "")
                    .append(" dir=").append(target.clones().config().dir()).append('\n');
            for (Path file : target.clones().cloneFiles()) {
                try {
                    text.append(describeClone(target, file)).append('\n');
                } catch (IOException e) {
                    text.append("  clone file=").append(file.getFileName()).append(" unreadable: ")
                            .append(e.getMessage()).append('\n');
                }
            }
        }
        return text.toString();
    }

    private String describeClone(CloneTarget target, Path file) throws IOException {
        Optional<CloneRecord> record = CloneRecord.read(file);
        Qcow2Summary summary = Qcow2Overlay.summary(file);
        String backing = summary.backingImage() == null ? "none"
                : catalog.byPath(summary.backingImage()).map(ImageConfig::name).orElse("?") + " ("
                        + summary.backingImage() + ")";
        StringBuilder line = new StringBuilder("  clone initiator=")
                .append(record.map(CloneRecord::initiatorName).orElse("? (no record)"))
                .append(" file=").append(file.getFileName())
                .append(" virtual-size=").append(summary.virtualSize())
                .append(" allocated=").append(allocatedBytes(file))
                .append(" image=").append(backing)
                .append(" logged-in=").append(record.isPresent()
                        && target.device().hasSessions(record.get().initiatorName()) ? "yes" : "no");
        record.ifPresent(r -> line.append(" created=").append(r.created()).append(" last-login=")
                .append(r.lastLogin()).append(" last-logout=")
                .append(r.lastLogout() == null ? "never" : r.lastLogout()));
        return line.toString();
    }

    private static String allocatedBytes(Path file) {
        try {
            long bytes = Libc.allocatedBytes(file.toString());
            return bytes < 0 ? "unknown" : Long.toString(bytes);
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    String reset(String targetName, String initiator) throws IOException {
        CloneTarget target = target(targetName);
        Path file = target.clones().fileOf(initiator);
        boolean deleted = target.device().withoutSessions(initiator, () -> {
            boolean existed = Files.exists(file);
            InitiatorClones.delete(file);
            return existed;
        });
        if (!deleted) {
            return initiator + " has no clone on " + target.name() + "; its next login makes one\n";
        }
        log.info("{}: reset the clone of {} to image '{}' (jtarget image reset): deleted {}", target.name(),
                initiator, target.clones().image().name(), file);
        return "reset the clone of " + initiator + " on " + target.name() + ": deleted " + file
                + "; its next login makes a fresh clone of image '" + target.clones().image().name() + "'\n";
    }

    /**
     * Flattens the clone into {@code NAME.raw} next to the image the clone was made of, registers it as image
     * {@code imageName} and leaves the targets as they are ({@code retarget} points one at it).
     */
    String promote(String targetName, String initiator, String imageName) throws IOException {
        CloneTarget target = target(targetName);
        if (catalog.byName(imageName).isPresent()) {
            throw new IOException("an image named '" + imageName + "' exists already");
        }
        Path file = target.clones().fileOf(initiator);
        long started = System.nanoTime();
        ImageConfig promoted = target.device().withoutSessions(initiator, () -> {
            if (!Files.exists(file)) {
                throw new IOException(initiator + " has no clone on " + target.name());
            }
            Qcow2Summary summary = Qcow2Overlay.summary(file);
            Path directory = (summary.backingImage() == null ? file : summary.backingImage()).getParent();
            Path destination = directory.resolve(imageName + ".raw");
            // The clone is closed (its dirty cache written back when its last session ended), so the file is
            // complete; it is opened here alone, under the clone's serialization, read-only in effect.
            BlockBackend disk = Qcow2Overlay.open(file, target.clones().config().blockSize(),
                    target.clones().backingCache(file));
            long dataBytes;
            try {
                dataBytes = ImageFlattener.flatten(disk, destination);
            } finally {
                disk.close();
            }
            log.info("{}: promoted the clone of {} to image '{}': {} ({} bytes, {} of data)", target.name(),
                    initiator, imageName, destination, summary.virtualSize(), dataBytes);
            return new ImageConfig(imageName, destination, summary.virtualSize(),
                    target.clones().image().readCacheBytes());
        });
        catalog.addPromoted(promoted, target.name(), initiator, clock.instant(), imageCaches);
        return "promoted the clone of " + initiator + " on " + target.name() + " to image '" + imageName + "': "
                + promoted.path() + " (" + promoted.sizeBytes() + " bytes) in "
                + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms; 'jtarget image retarget "
                + target.name() + " " + imageName + "' makes new clones use it\n";
    }

    String retarget(String targetName, String imageName) throws IOException {
        CloneTarget target = target(targetName);
        ImageConfig image = catalog.byName(imageName).orElseThrow(() -> new IOException("no image named '"
                + imageName + "'; 'jtarget image list' shows the images"));
        ImageCatalog.checkFits(target.name(), target.clones().config(), image);
        if (!Files.isRegularFile(image.path())) {
            throw new IOException("image '" + imageName + "': no such file " + image.path());
        }
        imageCaches.of(image); // opening it now refuses an unreadable image before anything is recorded
        catalog.retarget(target.name(), target.clones().config(), image);
        String before = target.clones().image().name();
        target.clones().retarget(image);
        log.warn("{}: retargeted from image '{}' to '{}' ({}): new clones are made of it, existing clones keep"
                + " theirs; recorded in {}", target.name(), before, imageName, image.path(), catalog.stateFile());
        return "new clones of " + target.name() + " are made of image '" + imageName + "' (" + image.path()
                + "), was '" + before + "'; existing clones keep their images\n";
    }

    /** Deletes (or with {@code dryRun} lists) the clones of initiators not seen for more than {@code days}. */
    String expire(int days, boolean dryRun) throws IOException {
        Instant cutoff = clock.instant().minus(Duration.ofDays(days));
        StringBuilder text = new StringBuilder();
        int expired = 0;
        for (CloneTarget target : targets) {
            for (Path file : target.clones().cloneFiles()) {
                Optional<CloneRecord> record;
                try {
                    record = CloneRecord.read(file);
                } catch (IOException e) {
                    text.append("kept ").append(file).append(": unreadable record: ").append(e.getMessage())
                            .append('\n');
                    continue;
                }
                if (record.isEmpty()) {
                    text.append("kept ").append(file).append(": no record of its initiator\n");
                    continue;
                }
                String initiator = record.get().initiatorName();
                if (!record.get().lastSeen().isBefore(cutoff) || target.device().hasSessions(initiator)) {
                    continue;
                }
                String what = target.name() + " " + initiator + " (last seen " + record.get().lastSeen() + "): "
                        + file;
                if (dryRun) {
                    text.append("would delete ").append(what).append('\n');
                } else {
                    expired += deleteIfStillGone(target, initiator, file, cutoff, what, text);
                }
            }
        }
        if (!dryRun) {
            text.append("deleted ").append(expired).append(" clone(s) not seen for more than ").append(days)
                    .append(" day(s)\n");
        }
        return text.toString();
    }

    /** Under the clone's serialization, where a login in the meantime shows as a newer record or a session. */
    private int deleteIfStillGone(CloneTarget target, String initiator, Path file, Instant cutoff, String what,
                                  StringBuilder text) throws IOException {
        try {
            boolean deleted = target.device().withoutSessions(initiator, () -> {
                Optional<CloneRecord> now = CloneRecord.read(file);
                if (now.isEmpty() || !now.get().lastSeen().isBefore(cutoff)) {
                    return false;
                }
                InitiatorClones.delete(file);
                return true;
            });
            if (deleted) {
                log.info("expired the clone of {}", what);
                text.append("deleted ").append(what).append('\n');
                return 1;
            }
        } catch (ClonePerInitiatorTarget.CloneInUseException e) {
            text.append("kept ").append(what).append(": ").append(e.getMessage()).append('\n');
        }
        return 0;
    }

    private CloneTarget target(String name) throws IOException {
        String key = name.toLowerCase(Locale.ROOT);
        return targets.stream().filter(target -> target.name().toLowerCase(Locale.ROOT).equals(key)).findFirst()
                .orElseThrow(() -> new IOException("no clone-per-initiator target named " + name));
    }
}
