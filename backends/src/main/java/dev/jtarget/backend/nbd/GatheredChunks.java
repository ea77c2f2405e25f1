package dev.jtarget.backend.nbd;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Cutting gathered buffers into requests of bounded size, through views that leave the originals untouched. */
final class GatheredChunks {
    private GatheredChunks() {
    }

    /**
     * Splits the bytes of {@code sources} (position to limit, back to back) into consecutive chunks of at most
     * {@code maxBytes}; a chunk may span several sources and a source may span several chunks.
     */
    static List<ByteBuffer[]> split(ByteBuffer[] sources, int maxBytes) {
        List<ByteBuffer[]> chunks = new ArrayList<>();
        List<ByteBuffer> current = new ArrayList<>();
        int currentBytes = 0;
        for (ByteBuffer source : sources) {
            int position = source.position();
            while (position < source.limit()) {
                int take = Math.min(source.limit() - position, maxBytes - currentBytes);
                current.add(source.duplicate().limit(position + take).position(position));
                position += take;
                currentBytes += take;
                if (currentBytes == maxBytes) {
                    chunks.add(current.toArray(ByteBuffer[]::new));
                    current.clear();
                    currentBytes = 0;
                }
            }
        }
        if (currentBytes > 0) {
            chunks.add(current.toArray(ByteBuffer[]::new));
        }
        return chunks;
    }

    static int length(ByteBuffer[] buffers) {
        int length = 0;
        for (ByteBuffer buffer : buffers) {
            length += buffer.remaining();
        }
        return length;
    }

    /** {@code length} bytes made of views of {@code pattern} (typically zeros) repeated: no allocation of the data. */
    static ByteBuffer[] repeat(ByteBuffer pattern, long length) {
        int patternBytes = pattern.remaining();
        int count = Math.toIntExact((length + patternBytes - 1) / patternBytes);
        ByteBuffer[] views = new ByteBuffer[count];
        for (int i = 0; i < count; i++) {
            long left = length - (long) i * patternBytes;
            ByteBuffer view = pattern.duplicate();
            view.limit(view.position() + (int) Math.min(patternBytes, left));
            views[i] = view;
        }
        return views;
    }
}
