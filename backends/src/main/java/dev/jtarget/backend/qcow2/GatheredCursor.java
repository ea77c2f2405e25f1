package dev.jtarget.backend.qcow2;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Walks a gathered write's buffers cluster piece by cluster piece, through views that leave the caller's intact. */
final class GatheredCursor {
    private final ByteBuffer[] sources;
    private int index;

    GatheredCursor(ByteBuffer[] sources) {
        this.sources = new ByteBuffer[sources.length];
        for (int i = 0; i < sources.length; i++) {
            this.sources[i] = sources[i].duplicate();
        }
    }

    static long length(ByteBuffer[] buffers) {
        long length = 0;
        for (ByteBuffer buffer : buffers) {
            length += buffer.remaining();
        }
        return length;
    }

    /** The next {@code bytes} bytes, possibly spread over several buffers. */
    ByteBuffer[] take(int bytes) {
        List<ByteBuffer> pieces = new ArrayList<>(2);
        int wanted = bytes;
        while (wanted > 0) {
            ByteBuffer source = sources[index];
            if (!source.hasRemaining()) {
                index++;
                continue;
            }
            int taken = Math.min(wanted, source.remaining());
            pieces.add(source.slice(source.position(), taken));
            source.position(source.position() + taken);
            wanted -= taken;
        }
        return pieces.toArray(ByteBuffer[]::new);
    }
}
