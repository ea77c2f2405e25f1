package dev.jtarget.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A validated configuration file. Relative paths inside it (backing files) are resolved against {@link #baseDir()}.
 *
 * @param source  the file it was read from (for messages)
 * @param baseDir the directory relative paths are resolved against: the working directory of the server
 * @param nopIn   when the server pings silent initiators and when it gives up on them
 * @param peer    the NBD peer server to run next to the target, when the file has a {@code <peer>} section
 */
public record ServerConfig(Path source, Path baseDir, List<PortalConfig> portals, NopInConfig nopIn,
                           CacheConfig cache, Optional<PeerConfig> peer, List<TargetConfig> targets) {

    /** A configuration with the default keep-alive, as a file without {@code <nop-in>} gives. */
    public ServerConfig(Path source, Path baseDir, List<PortalConfig> portals, CacheConfig cache,
                        Optional<PeerConfig> peer, List<TargetConfig> targets) {
        this(source, baseDir, portals, NopInConfig.DEFAULT, cache, peer, targets);
    }
}
