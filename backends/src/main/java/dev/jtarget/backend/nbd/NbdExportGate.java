package dev.jtarget.backend.nbd;

import java.io.IOException;

/**
 * Decides from each handshake whether a connection may serve the backend. The first handshake fixes the export's
 * geometry and capabilities, which the layers above keep for the backend's life; every later connection (another
 * multi-conn connection or a reconnection) must describe the same export, or it is refused and retried later.
 */
final class NbdExportGate {
    private final NbdClientOptions options;
    private final String peer;
    private NbdExportInfo first;
    private NbdGeometry geometry;

    NbdExportGate(NbdClientOptions options, String peer) {
        this.options = options;
        this.peer = peer;
    }

    /** @throws IOException when this export cannot serve the backend (the message says why) */
    synchronized void admit(NbdExportInfo export) throws IOException {
        if (first == null) {
            geometry = NbdGeometry.negotiate(export, options, peer);
            first = export;
            return;
        }
        String incompatibility = export.incompatibilityWith(first, geometry);
        if (incompatibility != null) {
            throw new IOException(peer + ": " + incompatibility + "; refusing the connection");
        }
    }

    /** The export as the first handshake described it; null before that handshake. */
    synchronized NbdExportInfo first() {
        return first;
    }

    synchronized NbdGeometry geometry() {
        return geometry;
    }
}
