package dev.jtarget.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Small random-input generators for seeded property tests. Like a property-testing library, numbers land on their
 * range's edges (min, min + 1, -1, 0, 1, max - 1, max) far more often than uniform draws would, because that is
 * where off-by-one and overflow bugs live. Everything comes from one seed, so a case replays exactly.
 */
public final class Gen {
    /** One draw in this many is an edge of its range rather than uniform. */
    private static final int EDGE_ONE_IN = 8;

    private final SplittableRandom random;

    public Gen(long seed) {
        random = new SplittableRandom(seed);
    }

    /** An int in [min, max], edges weighted in. */
    public int between(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("empty range " + min + ".." + max);
        }
        if (random.nextInt(EDGE_ONE_IN) == 0) {
            long[] edges = {min, (long) min + 1, -1, 0, 1, (long) max - 1, max};
            long edge = edges[random.nextInt(edges.length)];
            if (edge >= min && edge <= max) {
                return (int) edge;
            }
        }
        return (int) random.nextLong(min, (long) max + 1);
    }

    /** Any int, with 0, ±1 and the extremes weighted in. */
    public int anyInt() {
        return between(Integer.MIN_VALUE, Integer.MAX_VALUE);
    }

    /** Any byte, with 0, ±1 and the extremes weighted in. */
    public byte anyByte() {
        return (byte) between(Byte.MIN_VALUE, Byte.MAX_VALUE);
    }

    public boolean bool() {
        return random.nextBoolean();
    }

    /** One of {@code values}, uniformly. */
    public <T> T choice(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** The value of one of {@code generators}, each picked equally often. */
    @SafeVarargs
    public final <T> T oneOf(Supplier<? extends T>... generators) {
        return generators[random.nextInt(generators.length)].get();
    }

    /** An index into {@code weights}, picked in proportion to its weight (a weight of 0 is never picked). */
    public int weightedIndex(int... weights) {
        int total = 0;
        for (int weight : weights) {
            total += weight;
        }
        int draw = random.nextInt(total);
        for (int i = 0; ; i++) {
            draw -= weights[i];
            if (draw < 0) {
                return i;
            }
        }
    }

    /** A list of {@code element} values whose size is in [minSize, maxSize], edges weighted in. */
    public <T> List<T> list(int minSize, int maxSize, Supplier<? extends T> element) {
        int size = between(minSize, maxSize);
        List<T> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            list.add(element.get());
        }
        return list;
    }

    /** Bytes whose length is in [minSize, maxSize], edges weighted in for the length and for each byte. */
    public byte[] bytes(int minSize, int maxSize) {
        byte[] bytes = new byte[between(minSize, maxSize)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = anyByte();
        }
        return bytes;
    }
}
