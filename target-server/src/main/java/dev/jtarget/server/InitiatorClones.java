package dev.jtarget.server;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.image.ImageReadCache;
import dev.jtarget.backend.qcow2.Qcow2Overlay;
import dev.jtarget.backend.qcow2.Qcow2Summary;
import dev.jtarget.cache.WriteBackCache;
import dev.jtarget.config.ClonePerInitiatorConfig;
import dev.jtarget.config.ImageConfig;
import dev.jtarget.scsi.ClonePerInitiatorTarget;
import dev.jtarget.scsi.LogicalUnit;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clones of one clone-per-initiator target: a qcow2 overlay of the golden image per initiator name in the
 * target's directory, created at the initiator's first login, served through the write-back cache like every LUN,
 * and deleted after its last session when the target says {@code on-logout="reset"}.
 *
 * <p>New clones are made of the target's current image ({@link #image()}: the configured one unless
 * {@code jtarget image retarget} chose another); an existing clone is opened with the image its qcow2 header names,
 * read through that image's shared read cache, so retargeting never changes a disk under a machine. Next to each
 * overlay a {@link CloneRecord} keeps the initiator's real name and when it logged in and out.
 */
final class InitiatorClones implements ClonePerInitiatorTarget.Clones {
    private static final Logger log = LoggerFactory.getLogger(InitiatorClones.class);
    /** Room for the readable part of a file name; the whole name stays well under the usual 255-byte limit. */
    private static final int MAX_READABLE_CHARS = 160;

    private final String targetName;
    private final ClonePerInitiatorConfig config;
    private final WriteBackCache cache;
    /** The read caches of images, shared with every other clone of the same image. */
    private final ImageCaches imageCaches;
    private final UnaryOperator<BlockBackend> decorateBackend;
    private final Clock clock;
    /** What new clones are made of. */
    private volatile ImageConfig image;
    /** The free space of the clone directory's filesystem, which every clone's writes are checked against. */
    private final SpaceWatch spaceWatch;
    /** Set when the server stops: the sessions end then, but the machines did not log out, so nothing is reset. */
    private volatile boolean stopping;

    /**
     * @param image what new clones are made of: {@code config.image()} or the image a retarget recorded
     */
    InitiatorClones(String targetName, ClonePerInitiatorConfig config, ImageConfig image, WriteBackCache cache,
                    ImageCaches imageCaches, UnaryOperator<BlockBackend> decorateBackend, Clock clock)
            throws IOException {
        this.targetName = targetName;
        this.config = config;
        this.image = image;
        this.cache = cache;
        this.imageCaches = imageCaches;
        this.decorateBackend = decorateBackend;
        this.clock = clock;
        Files.createDirectories(config.dir());
        this.spaceWatch = new SpaceWatch(config.dir(), config.space());
        imageCaches.of(image);
    }

    String targetName() {
        return targetName;
    }

    ClonePerInitiatorConfig config() {
        return config;
    }

    /** The image new clones are made of. */
    ImageConfig image() {
        return image;
    }

    /** New clones are made of {@code newImage} from now on; existing clones keep theirs. */
    void retarget(ImageConfig newImage) {
        image = newImage;
    }

    /** The overlay files in the target's directory (not those being created). */
    List<Path> cloneFiles() throws IOException {
        try (Stream<Path> files = Files.list(config.dir())) {
            return files.filter(file -> file.getFileName().toString().endsWith(".qcow2")).sorted().toList();
        }
    }

    /**
     * The clone's file name: the initiator name made file-safe (lower case; characters other than letters, digits,
     * '.', '-' become '_') and a hash of the whole lower-cased name, so that names differing only in replaced or cut
     * characters still get files of their own.
     */
    static String fileName(String initiatorName) {
        String name = initiatorName.toLowerCase(Locale.ROOT);
        String readable = name.replaceAll("[^a-z0-9.-]", "_");
        if (readable.length() > MAX_READABLE_CHARS) {
            readable = readable.substring(0, MAX_READABLE_CHARS);
        }
        if (readable.startsWith(".")) {
            readable = "_" + readable.substring(1); // never a hidden file, never "." or ".."
        }
        return readable + "-" + HexFormat.of().formatHex(sha256(name), 0, 6) + ".qcow2";
    }

    Path fileOf(String initiatorName) {
        return config.dir().resolve(fileName(initiatorName));
    }

    @Override
    public LogicalUnit open(String initiatorName) throws IOException {
        Path file = fileOf(initiatorName);
        if (!Files.exists(file)) {
            create(file, initiatorName);
        }
        record(file, initiatorName, true);
        SpaceWatch.Registration space = spaceWatch.register(initiatorName);
        BlockBackend backend;
        try {
            Qcow2Overlay overlay = Qcow2Overlay.open(file, config.blockSize(), backingCache(file), space);
            backend = new SpaceAdmission(attach(decorateBackend.apply(overlay), initiatorName), overlay, space);
        } catch (IOException | RuntimeException e) {
            space.close();
            throw e;
        }
        try {
            LogicalUnit unit = LogicalUnit.createClone(targetName, initiatorName, config, backend);
            space.onSoftThreshold(unit::softThresholdReached);
            log.info("{} LUN {} for {}: {} ({} bytes)", targetName, config.lunId(), initiatorName,
                    backend.describe(), backend.sizeBytes());
            return unit;
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /** The overlay behind the write-back cache; closed again when attaching fails. */
    private BlockBackend attach(BlockBackend raw, String initiatorName) {
        try {
            return cache.attach(raw, targetName + "/" + initiatorName + "/lun" + config.lunId());
        } catch (RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * The shared read cache of the image {@code overlay}'s header names, which after a retarget may differ from
     * the target's current image; null for an overlay without a backing file.
     */
    ImageReadCache backingCache(Path overlay) throws IOException {
        Qcow2Summary summary = Qcow2Overlay.summary(overlay);
        return summary.backingImage() == null ? null
                : imageCaches.of(summary.backingImage(), image.readCacheBytes());
    }

    /**
     * Writes a login or logout into the clone's record (made now if the clone has none); a failure costs the
     * record, never the login or logout.
     */
    private void record(Path file, String initiatorName, boolean login) {
        try {
            Instant now = clock.instant();
            CloneRecord record = CloneRecord.read(file).orElse(new CloneRecord(initiatorName, now, now, null));
            (login ? record.loggedIn(now) : record.loggedOut(now)).write(file);
        } catch (IOException | RuntimeException e) {
            log.warn("{}: cannot record the {} of {} next to {}: {}", targetName, login ? "login" : "logout",
                    initiatorName, file, e.toString());
        }
    }

    /**
     * Creates the overlay under a temporary name, makes it durable and renames it into place, so a crash during
     * creation never leaves a half-written clone that later logins would fail to open.
     */
    private void create(Path file, String initiatorName) throws IOException {
        long started = System.nanoTime();
        ImageConfig from = image;
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        Qcow2Overlay.create(partial, from.path(), config.sizeBytes());
        try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        DurableFiles.moveIntoPlace(partial, file);
        Files.deleteIfExists(CloneRecord.fileOf(file)); // a record left by a clone deleted by hand is not this one's
        log.info("{}: created the clone of {} from image '{}' in {} ms: {}", targetName, initiatorName,
                from.name(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), file);
    }

    @Override
    public void lastSessionEnded(String initiatorName) throws IOException {
        Path file = fileOf(initiatorName);
        if (config.onLogout() == ClonePerInitiatorConfig.OnLogout.RESET && !stopping) {
            delete(file);
            log.info("{}: reset the clone of {}: deleted {}", targetName, initiatorName, file);
        } else if (Files.exists(file)) {
            record(file, initiatorName, false);
        }
    }

    /** Deletes a clone and its record: the next login of its initiator makes a fresh clone of the image. */
    static void delete(Path overlay) throws IOException {
        Files.deleteIfExists(CloneRecord.fileOf(overlay));
        DurableFiles.delete(overlay);
    }

    /** From now on sessions end because the server stops; their clones are kept whatever on-logout says. */
    void stopping() {
        stopping = true;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
