package dev.jtarget.backend.nbd;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shape the client gives an export: the block size it presents to the layers above, the largest READ/WRITE it
 * sends, and the usable size. Chosen once from the first handshake; reconnections must still allow it.
 *
 * @param sizeBytes  the export size rounded down to a whole block
 * @param blockSize  the block size presented by {@link NbdBackend#blockSize()}
 * @param maxPayload the largest READ or WRITE payload sent, a multiple of the block size
 */
record NbdGeometry(long sizeBytes, int blockSize, int maxPayload) {
    private static final Logger log = LoggerFactory.getLogger(NbdGeometry.class);

    /**
     * Meets the server's block size constraints with the configured block size.
     *
     * @throws IOException when the server's constraints cannot be met (naming which)
     */
    static NbdGeometry negotiate(NbdExportInfo info, NbdClientOptions options, String export) throws IOException {
        int blockSize = options.blockSize() == 0 ? Math.max(512, info.minimumBlockSize()) : options.blockSize();
        // Both are powers of two, so "not smaller" also means "a multiple": every aligned request stays aligned.
        if (blockSize < info.minimumBlockSize()) {
            throw new IOException(export + ": the server's minimum block size " + info.minimumBlockSize()
                    + " is larger than the configured block size " + blockSize);
        }
        long limit = Math.min(options.maxRequestBytes(), info.maximumBlockSize());
        // Split points fall on preferred-block boundaries when that still leaves room, so the server never has to
        // read-modify-write because of how we cut a request.
        int alignment = info.preferredBlockSize() > blockSize && info.preferredBlockSize() <= limit
                ? info.preferredBlockSize() : blockSize;
        int maxPayload = (int) (limit / alignment * alignment);
        if (maxPayload < blockSize) {
            throw new IOException(export + ": the server's maximum block size " + info.maximumBlockSize()
                    + " is smaller than the block size " + blockSize);
        }
        long sizeBytes = info.sizeBytes() / blockSize * blockSize;
        if (sizeBytes == 0) {
            throw new IOException(export + ": the export (" + info.sizeBytes() + " bytes) is smaller than one "
                    + blockSize + "-byte block");
        }
        if (sizeBytes != info.sizeBytes()) {
            log.warn("{}: export size {} is not a multiple of the {}-byte block size; the last {} bytes are unused",
                    export, info.sizeBytes(), blockSize, info.sizeBytes() - sizeBytes);
        }
        if (blockSize < info.preferredBlockSize()) {
            log.info("{}: the server prefers {}-byte I/O; {}-byte writes may cost it a read-modify-write", export,
                    info.preferredBlockSize(), blockSize);
        }
        return new NbdGeometry(sizeBytes, blockSize, maxPayload);
    }
}
