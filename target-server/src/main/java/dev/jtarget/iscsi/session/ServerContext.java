package dev.jtarget.iscsi.session;

import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.TargetConfig;
import dev.jtarget.iscsi.login.TargetLimits;
import dev.jtarget.scsi.ScsiTargetDevice;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What every connection of the server shares: the configured targets and their SCSI devices, the session registry,
 * the limits we negotiate with, and the timers that keep idle and half-open connections from living forever.
 *
 * @param devices          SCSI device per target, keyed by lower-cased target name
 * @param loginTimeout     a connection that has not reached full feature phase by then is closed (slow logins)
 * @param nopInterval      silence after which the target sends a NOP-In ping
 * @param nopTimeout       further silence after a ping after which the connection is considered dead
 * @param guard            connection caps and the slowdown of failed logins
 */
public record ServerContext(List<TargetConfig> targets, Map<String, ScsiTargetDevice> devices,
                            List<PortalConfig> portals, SessionRegistry registry, TargetLimits limits,
                            Duration loginTimeout, Duration nopInterval, Duration nopTimeout, ConnectionGuard guard) {

    /** A context without connection caps or login slowdown. */
    public ServerContext(List<TargetConfig> targets, Map<String, ScsiTargetDevice> devices,
                         List<PortalConfig> portals, SessionRegistry registry, TargetLimits limits,
                         Duration loginTimeout, Duration nopInterval, Duration nopTimeout) {
        this(targets, devices, portals, registry, limits, loginTimeout, nopInterval, nopTimeout,
                ConnectionGuard.unlimited());
    }

    /** All portals form one portal group, so an initiator may use any of them for any target. */
    public static final int PORTAL_GROUP_TAG = 1;

    ScsiTargetDevice deviceFor(String targetName) {
        return devices.get(targetName.toLowerCase(Locale.ROOT));
    }

    TargetConfig targetNamed(String targetName) {
        for (TargetConfig target : targets) {
            if (target.name().equalsIgnoreCase(targetName)) {
                return target;
            }
        }
        return null;
    }
}
