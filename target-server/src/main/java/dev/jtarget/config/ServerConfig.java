package dev.jtarget.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A validated configuration file. Relative paths inside it (backing files) are resolved against {@link #baseDir()}.
 *
 * @param source  the file it was read from (for messages)
 * @param baseDir the directory relative paths are resolved against: the working directory of the server
 * @param peer    the NBD peer server to run next to the target, when the file has a {@code <peer>} section
 */
public record ServerConfig(Path source, Path baseDir, List<PortalConfig> portals, CacheConfig cache,
                           Optional<PeerConfig> peer, List<TargetConfig> targets) {
}
