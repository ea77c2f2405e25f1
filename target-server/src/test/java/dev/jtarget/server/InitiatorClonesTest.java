package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.image.ImageReadCache;
import dev.jtarget.cache.WriteBackCache;
import dev.jtarget.config.ClonePerInitiatorConfig;
import dev.jtarget.config.ImageConfig;
import dev.jtarget.scsi.ClonePerInitiatorTarget;
import dev.jtarget.scsi.ItNexus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clone files: their names, creation at first login, reopening, and what on-logout and shutdown do to them. */
class InitiatorClonesTest {
    private static final String TARGET = "iqn.2026-11.dev.jtarget:farm";
    private static final String ALPHA = "iqn.2026-11.dev.jtarget:alpha";
    private static final int IMAGE_BYTES = 1 << 20;

    @TempDir
    Path dir;
    private final WriteBackCache cache = new WriteBackCache(4 << 20, 1);

    private final ImageCaches imageCaches = new ImageCaches();
    private ImageReadCache imageCache;

    @AfterEach
    void closeCaches() {
        cache.close();
        imageCaches.close();
    }

    @Test
    void fileNamesAreSafeDistinctAndShort() {
        String name = InitiatorClones.fileName("iqn.2026-11.dev.jtarget:Host/1");
        assertTrue(name.matches("iqn\\.2026-11\\.dev\\.jtarget_host_1-[0-9a-f]{12}\\.qcow2"), name);
        assertEquals(name, InitiatorClones.fileName("IQN.2026-11.DEV.JTARGET:HOST/1"), "names compare case-blind");
        assertNotEquals(name, InitiatorClones.fileName("iqn.2026-11.dev.jtarget_host_1"));
        String longest = InitiatorClones.fileName("iqn.2026-11.dev.jtarget:" + "x".repeat(199));
        assertTrue(longest.getBytes(StandardCharsets.UTF_8).length < 255, longest);
        assertFalse(InitiatorClones.fileName(".hidden").startsWith("."));
    }

    private final ItNexus nexus = new ItNexus(ALPHA, 1, TARGET, 1);
    private InitiatorClones source;

    /** A target whose clones {@link #source} makes, with {@link #nexus} logged in once. */
    private ClonePerInitiatorTarget loggedIn(ClonePerInitiatorConfig.OnLogout onLogout) throws IOException {
        return loggedIn(onLogout, UnaryOperator.identity());
    }

    private ClonePerInitiatorTarget loggedIn(ClonePerInitiatorConfig.OnLogout onLogout,
                                             UnaryOperator<BlockBackend> decorateBackend) throws IOException {
        Path image = Files.write(dir.resolve("gold.raw"), new byte[IMAGE_BYTES]);
        ImageConfig imageConfig = new ImageConfig("gold", image, IMAGE_BYTES, 1 << 20);
        ClonePerInitiatorConfig config = new ClonePerInitiatorConfig(imageConfig, dir.resolve("clones"), 2 << 20,
                onLogout, 0, true, 512);
        source = new InitiatorClones(TARGET, config, imageConfig, cache, imageCaches, decorateBackend,
                Clock.systemUTC());
        imageCache = imageCaches.of(imageConfig);
        ClonePerInitiatorTarget target = new ClonePerInitiatorTarget(TARGET, 0, source, Runnable::run);
        target.nexusLoggedIn(nexus);
        return target;
    }

    private List<Path> clones() throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("clones"))) {
            return files.sorted().toList();
        }
    }

    @Test
    void keptCloneIsCreatedOnceAndReopened() throws IOException {
        ClonePerInitiatorTarget target = loggedIn(ClonePerInitiatorConfig.OnLogout.KEEP);
        Path file = source.fileOf(ALPHA);
        assertEquals(List.of(CloneRecord.fileOf(file), file), clones(),
                "created at the first login with its record, no partial file left");
        CloneRecord record = CloneRecord.read(file).orElseThrow();
        assertEquals(ALPHA, record.initiatorName());
        assertNull(record.lastLogout());
        Object inode = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        target.nexusLoggedOut(nexus);
        assertTrue(CloneRecord.read(file).orElseThrow().lastLogout() != null, "the logout is recorded");
        target.nexusLoggedIn(nexus);
        target.nexusLoggedOut(nexus);
        assertEquals(List.of(CloneRecord.fileOf(file), file), clones());
        assertEquals(record.created(), CloneRecord.read(file).orElseThrow().created());
        assertEquals(inode, Files.readAttributes(file, BasicFileAttributes.class).fileKey(),
                "the file was reopened, not created again");
    }

    @Test
    void resetCloneIsDeletedAfterTheLastSessionButNotOnShutdown() throws IOException {
        ClonePerInitiatorTarget target = loggedIn(ClonePerInitiatorConfig.OnLogout.RESET);
        target.nexusLoggedOut(nexus);
        assertEquals(List.of(), clones());

        target.nexusLoggedIn(nexus);
        source.stopping();
        target.nexusLoggedOut(nexus);
        assertEquals(List.of(CloneRecord.fileOf(source.fileOf(ALPHA)), source.fileOf(ALPHA)), clones());
    }

    @Test
    void clonesOfTheImageReadItThroughOneSharedCache() throws Exception {
        List<BlockBackend> overlays = new ArrayList<>();
        ClonePerInitiatorTarget target = loggedIn(ClonePerInitiatorConfig.OnLogout.KEEP, backend -> {
            overlays.add(backend);
            return backend;
        });
        ItNexus beta = new ItNexus("iqn.2026-11.dev.jtarget:beta", 2, TARGET, 1);
        target.nexusLoggedIn(beta);
        assertEquals(2, overlays.size(), "both clones opened");
        for (BlockBackend overlay : overlays) {
            ByteBuffer whole = ByteBuffer.allocate(IMAGE_BYTES);
            overlay.read(0, whole).get(10, TimeUnit.SECONDS);
        }
        assertEquals(IMAGE_BYTES, imageCache.imageBytesRead(), "the second clone read the image from memory");
        assertEquals(IMAGE_BYTES / ImageReadCache.CHUNK_BYTES, imageCache.hits());
        target.nexusLoggedOut(nexus);
        target.nexusLoggedOut(beta);
    }
}
