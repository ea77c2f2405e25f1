package dev.jtarget.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BufferArenaTest {

    @Test
    void sizeIsRoundedDownToWholePages() {
        try (BufferArena arena = new BufferArena(10 * 4096 + 100, 4096)) {
            assertEquals(10, arena.pageCount());
            assertEquals(10 * 4096, arena.capacityBytes());
        }
    }

    @Test
    void allocationIsAllOrNothingAndFreedPagesComeBack() {
        try (BufferArena arena = new BufferArena(8 * 4096, 4096)) {
            int[] pages = new int[8];
            assertTrue(arena.allocate(6, pages));
            assertFalse(arena.allocate(3, new int[3]), "only two pages are left");
            assertEquals(6, arena.usedPages());

            arena.free(pages[0]);
            int[] more = new int[3];
            assertTrue(arena.allocate(3, more));
            assertEquals(0, arena.freePages());
            Set<Integer> distinct = new HashSet<>();
            for (int i = 1; i < 6; i++) {
                distinct.add(pages[i]);
            }
            for (int page : more) {
                distinct.add(page);
            }
            assertEquals(8, distinct.size(), "no page is handed out twice");
        }
    }

    @Test
    void freeingMorePagesThanWereTakenIsRefused() {
        try (BufferArena arena = new BufferArena(2 * 4096, 4096)) {
            assertThrows(IllegalStateException.class, () -> arena.free(0));
        }
    }

    @Test
    void copiesInAndOutOfPagesAndSlicesViewTheSameBytes() {
        try (BufferArena arena = new BufferArena(4 * 4096, 4096)) {
            byte[] data = CacheTestSupport.pattern(1000, 3);
            arena.copyIn(2, 96, ByteBuffer.wrap(data), 0, data.length);

            ByteBuffer out = ByteBuffer.allocate(1000);
            arena.copyOut(2, 96, out, 0, 1000);
            assertArrayEquals(data, out.array());
            ByteBuffer slice = arena.slice(2, 96, 1000);
            byte[] viaSlice = new byte[1000];
            slice.get(viaSlice);
            assertArrayEquals(data, viaSlice);

            arena.copyPage(2, 3);
            ByteBuffer copied = ByteBuffer.allocate(1000);
            arena.copyOut(3, 96, copied, 0, 1000);
            assertArrayEquals(data, copied.array());
        }
    }

    @Test
    void pageSizeMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new BufferArena(1 << 20, 3000));
    }
}
