package dev.jtarget.server;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.image.ImageReadCache;
import dev.jtarget.backend.qcow2.Qcow2Overlay;
import dev.jtarget.cache.WriteBackCache;
import dev.jtarget.config.ClonePerInitiatorConfig;
import dev.jtarget.scsi.ClonePerInitiatorTarget;
import dev.jtarget.scsi.LogicalUnit;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clones of one clone-per-initiator target: a qcow2 overlay of the golden image per initiator name in the
 * target's directory, created at the initiator's first login, served through the write-back cache like every LUN,
 * and deleted after its last session when the target says {@code on-logout="reset"}.
 */
final class InitiatorClones implements ClonePerInitiatorTarget.Clones {
    private static final Logger log = LoggerFactory.getLogger(InitiatorClones.class);
    /** Room for the readable part of a file name; the whole name stays well under the usual 255-byte limit. */
    private static final int MAX_READABLE_CHARS = 160;

    private final String targetName;
    private final ClonePerInitiatorConfig config;
    private final WriteBackCache cache;
    /** The image's read cache, shared with every other clone of the image. */
    private final ImageReadCache imageCache;
    private final UnaryOperator<BlockBackend> decorateBackend;
    /** The free space of the clone directory's filesystem, which every clone's writes are checked against. */
    private final SpaceWatch spaceWatch;
    /** Set when the server stops: the sessions end then, but the machines did not log out, so nothing is reset. */
    private volatile boolean stopping;

    InitiatorClones(String targetName, ClonePerInitiatorConfig config, WriteBackCache cache,
                    ImageReadCache imageCache, UnaryOperator<BlockBackend> decorateBackend) throws IOException {
        this.targetName = targetName;
        this.config = config;
        this.cache = cache;
        this.imageCache = imageCache;
        this.decorateBackend = decorateBackend;
        Files.createDirectories(config.dir());
        this.spaceWatch = new SpaceWatch(config.dir(), config.space());
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
        SpaceWatch.Registration space = spaceWatch.register(initiatorName);
        BlockBackend backend;
        try {
            Qcow2Overlay overlay = Qcow2Overlay.open(file, config.blockSize(), imageCache, space);
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
     * Creates the overlay under a temporary name, makes it durable and renames it into place, so a crash during
     * creation never leaves a half-written clone that later logins would fail to open.
     */
    private void create(Path file, String initiatorName) throws IOException {
        long started = System.nanoTime();
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        Qcow2Overlay.create(partial, config.image().path(), config.sizeBytes());
        try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel directory = FileChannel.open(config.dir(), StandardOpenOption.READ)) {
            directory.force(true); // the rename itself survives a crash
        }
        log.info("{}: created the clone of {} from image '{}' in {} ms: {}", targetName, initiatorName,
                config.image().name(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), file);
    }

    @Override
    public void lastSessionEnded(String initiatorName) throws IOException {
        if (config.onLogout() == ClonePerInitiatorConfig.OnLogout.RESET && !stopping) {
            Path file = fileOf(initiatorName);
            Files.deleteIfExists(file);
            log.info("{}: reset the clone of {}: deleted {}", targetName, initiatorName, file);
        }
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
