package dev.jtarget.backend.qcow2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class Qcow2HeaderTest {
    private static final Qcow2Header HEADER = new Qcow2Header(16, 20L << 30, 40, 2L << 16, 1L << 16, 1, 0,
            "/images/bookworm.raw", "raw");

    @Test
    void encodedHeaderDecodesToTheSameFields() throws IOException {
        ByteBuffer cluster = HEADER.encode();

        assertEquals(65536, cluster.remaining());
        assertEquals(HEADER, Qcow2Header.decode(cluster, "clone"));
        assertEquals(3, cluster.getInt(4), "version 3");
        assertEquals(4, cluster.getInt(96), "refcount order 4");
        assertEquals(0L, cluster.getLong(72), "no incompatible features: never dirty, never corrupt");
    }

    @Test
    void anImageWithoutBackingFileDecodesWithNone() throws IOException {
        Qcow2Header standalone = new Qcow2Header(16, 1L << 20, 1, 2L << 16, 1L << 16, 1, 0, null, null);
        assertEquals(standalone, Qcow2Header.decode(standalone.encode(), "standalone"));
    }

    @Test
    void refusesWhatItDoesNotImplementSayingWhat() {
        assertRefused("bad magic", header -> header.putInt(0, 0x12345678));
        assertRefused("version 2", header -> header.putInt(4, 2));
        assertRefused("cluster bits 8", header -> header.putInt(20, 8));
        assertRefused("cluster bits 22", header -> header.putInt(20, 22));
        assertRefused("encrypted", header -> header.putInt(32, 2));
        assertRefused("internal snapshots", header -> header.putInt(60, 1));
        assertRefused("corrupt", header -> header.putLong(72, Qcow2Header.INCOMPATIBLE_CORRUPT));
        assertRefused("dirty", header -> header.putLong(72, Qcow2Header.INCOMPATIBLE_DIRTY));
        assertRefused("incompatible features 0x10", header -> header.putLong(72, 1L << 4));
        assertRefused("refcount order 5", header -> header.putInt(96, 5));
        assertRefused("header length 96", header -> header.putInt(100, 96));
        assertRefused("not cluster aligned", header -> header.putLong(40, 4096));
    }

    @Test
    void aBackingNameThatDoesNotFitTheFirstClusterIsRefusedAtCreation() {
        Qcow2Header tiny = new Qcow2Header(9, 1L << 20, 1, 2L << 9, 1L << 9, 1, 0, "/x".repeat(200), "raw");
        IOException refused = assertThrows(IOException.class, tiny::encode);
        assertTrue(refused.getMessage().contains("does not fit"), refused.getMessage());
    }

    private static void assertRefused(String expectedMessage, Consumer<ByteBuffer> damage) {
        ByteBuffer cluster;
        try {
            cluster = HEADER.encode();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        damage.accept(cluster);
        IOException refused = assertThrows(IOException.class, () -> Qcow2Header.decode(cluster, "clone"));
        assertTrue(refused.getMessage().contains(expectedMessage), refused.getMessage());
    }
}
