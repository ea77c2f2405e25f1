package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.io.Libc;
import dev.jtarget.backend.qcow2.Qcow2Overlay;
import dev.jtarget.cache.WriteBackCache;
import dev.jtarget.config.CacheConfig;
import dev.jtarget.config.ClonePerInitiatorConfig;
import dev.jtarget.config.ImageConfig;
import dev.jtarget.config.ServerConfig;
import dev.jtarget.config.TargetConfig;
import dev.jtarget.scsi.ClonePerInitiatorTarget;
import dev.jtarget.scsi.ItNexus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jtarget image} operations on real files: clones made at login, written through their qcow2 overlays, then
 * promoted, retargeted, reset and expired, with the refusals while an initiator is logged in.
 */
class ImageOperationsTest {
    private static final String TARGET = "iqn.2026-11.dev.jtarget:farm";
    private static final String ALPHA = "iqn.2026-11.dev.jtarget:alpha";
    private static final String BETA = "iqn.2026-11.dev.jtarget:beta";
    private static final String GAMMA = "iqn.2026-11.dev.jtarget:gamma";
    private static final int IMAGE_BYTES = 1 << 20;
    /** Four times the image: the promoted image's last two MiB are holes. */
    private static final int CLONE_BYTES = 4 << 20;

    @TempDir
    Path dir;
    private final WriteBackCache cache = new WriteBackCache(4 << 20, 1);
    private final ImageCaches imageCaches = new ImageCaches();
    private final SettableClock clock = new SettableClock(Instant.parse("2026-11-01T00:00:00Z"));
    private byte[] image;
    private ServerConfig serverConfig;
    private ClonePerInitiatorConfig config;
    private InitiatorClones clones;
    private ClonePerInitiatorTarget device;
    private ImageOperations operations;
    /** The overlay the last login opened, under the cache. */
    private BlockBackend lastOpened;
    private int nextSession = 1;

    @BeforeEach
    void start() throws IOException {
        image = new byte[IMAGE_BYTES];
        new Random(7).nextBytes(image);
        Path imageFile = Files.write(dir.resolve("gold.raw"), image);
        ImageConfig gold = new ImageConfig("gold", imageFile, IMAGE_BYTES, 1 << 20);
        config = new ClonePerInitiatorConfig(gold, dir.resolve("clones"), CLONE_BYTES,
                ClonePerInitiatorConfig.OnLogout.KEEP, 0, true, 512);
        serverConfig = new ServerConfig(dir.resolve("jtarget.xml"), dir, List.of(), new CacheConfig(4 << 20, 1),
                Optional.empty(), List.of(new TargetConfig(TARGET, "", Optional.empty(), Optional.empty(), List.of(),
                        List.of(), Optional.of(config))));
        ImageCatalog catalog = ImageCatalog.load(serverConfig, dir.resolve("state"), imageCaches);
        clones = new InitiatorClones(TARGET, config, catalog.imageFor(TARGET, config), cache, imageCaches,
                backend -> lastOpened = backend, clock);
        device = new ClonePerInitiatorTarget(TARGET, 0, clones, Runnable::run);
        operations = new ImageOperations(List.of(new ImageOperations.CloneTarget(clones, device)), catalog,
                imageCaches, clock);
    }

    @AfterEach
    void stop() {
        device.close();
        cache.close();
        imageCaches.close();
    }

    private ItNexus login(String initiator) {
        ItNexus nexus = new ItNexus(initiator, nextSession++, TARGET, 1);
        device.nexusLoggedIn(nexus);
        return nexus;
    }

    private void write(long offset, int length, int pattern) throws Exception {
        byte[] data = new byte[length];
        Arrays.fill(data, (byte) pattern);
        lastOpened.write(offset, new ByteBuffer[] {ByteBuffer.wrap(data)}, false).get(10, TimeUnit.SECONDS);
    }

    private byte[] read(long offset, int length) throws Exception {
        ByteBuffer data = ByteBuffer.allocate(length);
        lastOpened.read(offset, data).get(10, TimeUnit.SECONDS);
        return data.array();
    }

    @Test
    void promotedImageHoldsTheCloneAndRetargetedNewClonesUseIt() throws Exception {
        ItNexus alpha = login(ALPHA);
        write(100_000, 70_000, 0xa1); // not cluster-aligned: copy-on-write keeps the image around it
        write(3 << 19, 4096, 0xa2); // past the image's end
        IOException refused = assertThrows(ClonePerInitiatorTarget.CloneInUseException.class,
                () -> operations.promote(TARGET, ALPHA, "gold-v2"));
        assertTrue(refused.getMessage().contains("is logged in"), refused.getMessage());
        device.nexusLoggedOut(alpha);

        String promoted = operations.promote(TARGET, ALPHA, "gold-v2");
        Path v2 = dir.resolve("gold-v2.raw");
        assertTrue(promoted.contains(v2.toString()), promoted);
        byte[] expected = Arrays.copyOf(image, CLONE_BYTES);
        Arrays.fill(expected, 100_000, 170_000, (byte) 0xa1);
        Arrays.fill(expected, 3 << 19, (3 << 19) + 4096, (byte) 0xa2);
        assertArrayEquals(expected, Files.readAllBytes(v2), "image and overlay flattened");
        long allocated = Libc.allocatedBytes(v2.toString());
        assertTrue(allocated < 0 || allocated <= 2L * ImageFlattener.CHUNK_BYTES + 65536,
                "the all-zero last two MiB are holes: " + allocated);
        assertFalse(Files.exists(dir.resolve("gold-v2.raw.partial")));
        assertThrows(IOException.class, () -> operations.promote(TARGET, ALPHA, "gold-v2"), "names are unique");

        assertThrows(IOException.class, () -> operations.retarget(TARGET, "silver"), "unknown image");
        operations.retarget(TARGET, "gold-v2");
        ItNexus beta = login(BETA);
        assertEquals(v2, Qcow2Overlay.summary(clones.fileOf(BETA)).backingImage(), "a new clone uses gold-v2");
        assertArrayEquals(Arrays.copyOfRange(expected, 100_000, 170_000), read(100_000, 70_000));
        device.nexusLoggedOut(beta);
        assertTrue(imageCaches.statusLines().stream().anyMatch(line -> line.startsWith("read cache of " + v2
                + " (" + (1 << 20) + " bytes): ")), "gold-v2's clones share a cache: " + imageCaches.statusLines());

        alpha = login(ALPHA);
        assertEquals(dir.resolve("gold.raw"), Qcow2Overlay.summary(clones.fileOf(ALPHA)).backingImage(),
                "an existing clone keeps its image");
        assertArrayEquals(Arrays.copyOfRange(expected, 99_000, 171_000), read(99_000, 72_000));
        String list = operations.list();
        device.nexusLoggedOut(alpha);

        assertTrue(list.contains("image gold-v2 path=" + v2 + " size=" + CLONE_BYTES), list);
        assertTrue(list.contains("target " + TARGET + " image=gold-v2 (retargeted in "), list);
        assertTrue(list.contains("clone initiator=" + ALPHA + " "), list);
        assertTrue(list.lines().anyMatch(line -> line.contains(ALPHA) && line.contains("image=gold (")
                && line.contains("logged-in=yes") && line.contains("virtual-size=" + CLONE_BYTES)), list);
        assertTrue(list.lines().anyMatch(line -> line.contains(BETA) && line.contains("image=gold-v2 (")
                && line.contains("logged-in=no")), list);

        ImageCatalog restarted = ImageCatalog.load(serverConfig, dir.resolve("state"), imageCaches);
        assertEquals("gold-v2", restarted.imageFor(TARGET, config).name(), "the retarget survives a restart");
        assertEquals(CLONE_BYTES, restarted.byName("gold-v2").orElseThrow().sizeBytes());

        Files.move(v2, dir.resolve("moved.raw"));
        IOException lost = assertThrows(IOException.class,
                () -> ImageCatalog.load(serverConfig, dir.resolve("state"), imageCaches));
        assertTrue(lost.getMessage().contains("which a target is retargeted to: no such file " + v2),
                lost.getMessage());
        Files.move(dir.resolve("moved.raw"), v2);
        operations.retarget(TARGET, "gold");
        Files.delete(v2);
        assertTrue(ImageCatalog.load(serverConfig, dir.resolve("state"), imageCaches).byName("gold-v2").isEmpty(),
                "an image no target uses may be deleted: it is forgotten");
    }

    @Test
    void resetIsRefusedWhileLoggedInAndThenStartsFromTheImage() throws Exception {
        ItNexus alpha = login(ALPHA);
        write(0, 4096, 0xa1);
        Path file = clones.fileOf(ALPHA);
        IOException refused = assertThrows(ClonePerInitiatorTarget.CloneInUseException.class,
                () -> operations.reset(TARGET, ALPHA.toUpperCase()));
        assertTrue(refused.getMessage().contains("is logged in"), refused.getMessage());
        assertTrue(Files.exists(file));
        device.nexusLoggedOut(alpha);

        assertTrue(operations.reset(TARGET, ALPHA).contains("deleted " + file));
        assertFalse(Files.exists(file));
        assertFalse(Files.exists(CloneRecord.fileOf(file)));
        assertTrue(operations.reset(TARGET, ALPHA).contains("has no clone"));
        assertThrows(IOException.class, () -> operations.reset("iqn.2026-11.dev.jtarget:other", ALPHA));

        device.nexusLoggedOut(login(ALPHA));
        login(ALPHA);
        assertArrayEquals(Arrays.copyOf(image, 4096), read(0, 4096), "the new clone reads the image");
    }

    @Test
    void expireDeletesOnlyClonesOfInitiatorsGoneLongerThanTheLimit() throws Exception {
        device.nexusLoggedOut(login(ALPHA));
        login(GAMMA); // stays logged in
        clock.advance(Duration.ofDays(10));
        device.nexusLoggedOut(login(BETA));
        clock.advance(Duration.ofDays(2));

        String dryRun = operations.expire(5, true);
        assertTrue(dryRun.contains("would delete " + TARGET + " " + ALPHA + " (last seen 2026-11-01T00:00:00Z)"),
                dryRun);
        assertEquals(1, dryRun.lines().count(), dryRun);
        assertTrue(Files.exists(clones.fileOf(ALPHA)), "a dry run deletes nothing");

        String expired = operations.expire(5, false);
        assertTrue(expired.contains("deleted 1 clone(s)"), expired);
        assertFalse(Files.exists(clones.fileOf(ALPHA)));
        assertFalse(Files.exists(CloneRecord.fileOf(clones.fileOf(ALPHA))));
        assertTrue(Files.exists(clones.fileOf(BETA)));
        assertTrue(Files.exists(clones.fileOf(GAMMA)), "a logged-in initiator's clone is never expired");
        assertTrue(operations.expire(1, false).contains("deleted 1 clone(s)"), "beta, gone two days");
    }

    /** A clock the test moves forward. */
    private static final class SettableClock extends Clock {
        private Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
