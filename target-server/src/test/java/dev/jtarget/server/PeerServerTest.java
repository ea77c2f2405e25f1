package dev.jtarget.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jtarget.backend.nbd.NbdBackend;
import dev.jtarget.backend.nbd.NbdClientOptions;
import dev.jtarget.backend.nbd.NbdUri;
import dev.jtarget.config.PeerConfig;
import dev.jtarget.config.PeerExportConfig;
import dev.jtarget.config.PortalConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The NBD peer that {@code jtarget peer} and a {@code <peer>} section run, reached by our own NBD client. */
class PeerServerTest {
    private static final long MIB = 1L << 20;
    private static final PortalConfig ANY_LOOPBACK_PORT = new PortalConfig("127.0.0.1", 0);

    @TempDir
    Path dir;

    private static NbdBackend connect(PeerServer peer, String export) throws IOException {
        return NbdBackend.connect(NbdUri.tcp("127.0.0.1", peer.port(), export), NbdClientOptions.defaults());
    }

    @Test
    void aFileExportIsCreatedSparseServedAndFlushedToTheFile() throws Exception {
        Path image = dir.resolve("peer/disk0.img");
        PeerConfig config = new PeerConfig(ANY_LOOPBACK_PORT,
                List.of(new PeerExportConfig("disk0", image, OptionalLong.of(4 * MIB), false)));
        byte[] data = new byte[(int) MIB];
        new Random(1).nextBytes(data);
        try (PeerServer peer = PeerServer.start(config, dir)) {
            try (NbdBackend client = connect(peer, "disk0")) {
                assertEquals(4 * MIB, client.sizeBytes());
                client.write(MIB, new ByteBuffer[] {ByteBuffer.wrap(data)}, false).get(10, TimeUnit.SECONDS);
                client.flush().get(10, TimeUnit.SECONDS);
            }
        }
        assertEquals(4 * MIB, Files.size(image));
        byte[] onDisk = Files.readAllBytes(image);
        assertArrayEquals(data, Arrays.copyOfRange(onDisk, (int) MIB, (int) (2 * MIB)));
    }

    @Test
    void anExportWithoutASizeServesTheExistingFileAtItsSizeAndReadOnlyWhenAsked() throws Exception {
        Path image = Files.write(dir.resolve("golden.raw"), new byte[(int) (2 * MIB)]);
        PeerConfig config = new PeerConfig(ANY_LOOPBACK_PORT,
                List.of(new PeerExportConfig("golden", image, OptionalLong.empty(), true)));
        try (PeerServer peer = PeerServer.start(config, dir); NbdBackend client = connect(peer, "golden")) {
            assertEquals(2 * MIB, client.sizeBytes());
            assertTrue(client.capabilities().readOnly());
        }
    }

    @Test
    void aMissingFileWithoutASizeIsRefusedAtStart() {
        PeerConfig config = new PeerConfig(ANY_LOOPBACK_PORT,
                List.of(new PeerExportConfig("x", dir.resolve("missing.img"), OptionalLong.empty(), false)));
        IOException refused = assertThrows(IOException.class, () -> PeerServer.start(config, dir));
        assertEquals("export 'x': " + dir.resolve("missing.img") + " does not exist; give a size to create it",
                refused.getMessage());
    }
}
