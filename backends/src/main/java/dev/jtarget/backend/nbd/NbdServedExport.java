package dev.jtarget.backend.nbd;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BlockBackend;

/** One export of our {@link NbdServer}: a name and the backend behind it, described in NBD terms. */
record NbdServedExport(String name, BlockBackend backend, int maxPayload) {

    /**
     * FLUSH and FUA are always accepted (harmless where the backend needs none). CAN_MULTI_CONN is true because every
     * connection reaches the same backend object, with no per-connection cache: a flush on one covers writes on all.
     */
    int transmissionFlags() {
        BackendCapabilities capabilities = backend.capabilities();
        int flags = NbdProtocol.FLAG_HAS_FLAGS | NbdProtocol.FLAG_SEND_FLUSH | NbdProtocol.FLAG_SEND_FUA
                | NbdProtocol.FLAG_CAN_MULTI_CONN;
        if (capabilities.readOnly()) {
            return flags | NbdProtocol.FLAG_READ_ONLY;
        }
        flags |= NbdProtocol.FLAG_SEND_WRITE_ZEROES;
        return capabilities.canDiscard() ? flags | NbdProtocol.FLAG_SEND_TRIM : flags;
    }

    /** Requests must be aligned to the backend's blocks: it cannot address less. */
    int minimumBlockSize() {
        return backend.blockSize();
    }

    int preferredBlockSize() {
        return Math.max(backend.blockSize(), 4096);
    }

    /** The payload limit, kept a multiple of the minimum block size as the spec requires. */
    int maximumBlockSize() {
        return Math.max(maxPayload / backend.blockSize() * backend.blockSize(), backend.blockSize());
    }
}
