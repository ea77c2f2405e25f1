package dev.jtarget.iscsi.session;

import dev.jtarget.config.TargetConfig;
import dev.jtarget.iscsi.login.SessionParameters;
import dev.jtarget.scsi.ItNexus;
import dev.jtarget.scsi.ScsiTargetDevice;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;

/**
 * One iSCSI session as seen by its connection: negotiated parameters, command numbering and the task table. We
 * negotiate MaxConnections=1, so a session has exactly one connection. A login that names this session's TSIH
 * replaces the connection (RFC 7143 §6.3.4): the registry then holds a new IscsiSession with the same TSIH and
 * nexus whose numbering starts at the initiator's current CmdSN, and the old one's tasks die with its connection,
 * which is what ErrorRecoveryLevel 0 promises.
 *
 * <p>State is touched only from the connection's event loop.
 */
final class IscsiSession {
    final int tsih;
    final SessionParameters parameters;
    /** Null for a discovery session. */
    final TargetConfig target;
    final ScsiTargetDevice device;
    final ItNexus nexus;
    final CommandWindow window;
    /** By Initiator Task Tag; a primitive-keyed map, as it is touched twice for every command. */
    final IntObjectMap<ScsiTask> tasks = new IntObjectHashMap<>();
    final IscsiConnection connection;
    private int nextTargetTransferTag = 1;

    IscsiSession(int tsih, SessionParameters parameters, TargetConfig target, ScsiTargetDevice device, ItNexus nexus,
                 CommandWindow window, IscsiConnection connection) {
        this.tsih = tsih;
        this.parameters = parameters;
        this.target = target;
        this.device = device;
        this.nexus = nexus;
        this.window = window;
        this.connection = connection;
    }

    boolean isDiscovery() {
        return target == null;
    }

    /** A fresh Target Transfer Tag; never the reserved 0xffffffff. */
    int nextTargetTransferTag() {
        int ttt = nextTargetTransferTag++;
        if (nextTargetTransferTag == -1) {
            nextTargetTransferTag = 1;
        }
        return ttt;
    }
}
