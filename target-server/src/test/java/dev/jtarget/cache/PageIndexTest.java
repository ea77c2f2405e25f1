package dev.jtarget.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PageIndexTest {

    @Test
    void findsEveryPageThroughGrowthAndShrinkage() {
        try (PageTable table = new PageTable(5000)) {
            PageIndex index = new PageIndex(table);
            for (int page = 0; page < 5000; page++) {
                table.init(page, 1_000_000L + page * 3L, 1, 0); // sparse LUN pages
                index.add(page);
            }
            for (int page = 0; page < 5000; page += 2) {
                index.remove(page);
            }

            assertEquals(2500, index.size());
            for (int page = 0; page < 5000; page++) {
                int expected = page % 2 == 1 ? page : PageTable.NONE;
                assertEquals(expected, index.get(1_000_000L + page * 3L));
            }
            assertEquals(PageTable.NONE, index.get(1_000_001L));
            Set<Integer> visited = new HashSet<>();
            index.forEach(visited::add);
            assertEquals(2500, visited.size());
        }
    }
}
