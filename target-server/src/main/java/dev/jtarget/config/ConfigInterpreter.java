package dev.jtarget.config;

import com.google.common.net.InetAddresses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * The rules XML Schema cannot express (byte lengths, arithmetic, uniqueness, rules between elements), applied to the
 * schema-valid part of the tree while building the configuration records. Elements the schema rejected are skipped,
 * so one mistake is reported once. Nothing is created or opened: this reads the tree, and looks at configured device
 * nodes and paths only to say early that they are missing or used twice.
 */
final class ConfigInterpreter {

    /** RFC 7143 §12.1.3: at least 96 bits of secret unless IPsec protects the connection, which jtarget does not do. */
    static final int MIN_SECRET_BYTES = 12;
    static final int MAX_SECRET_BYTES = 255;
    static final long MIN_ARENA_BYTES = 1L << 20;
    static final int MAX_ARENA_PERCENT = 90;
    /** The NBD protocol's limit on strings, export names included. */
    static final int MAX_EXPORT_NAME_BYTES = 4096;

    private final Path file;
    private final Path baseDir;
    private final LongSupplier physicalMemoryBytes;
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final PathClaims paths;
    private final BackendInterpreter backends;
    private final CloneInterpreter clones;
    private final DeviceProbe devices;
    /** Listen addresses by address and port (not spelling), for portals and the peer. */
    private final Map<String, ConfigElement> listenAddresses = new HashMap<>();
    private final List<SecretUse> secrets = new ArrayList<>();

    /** Where a CHAP secret is configured; {@code mutual} secrets authenticate the target, the others initiators. */
    private record SecretUse(ConfigElement element, ChapCredentials credentials, boolean mutual) {
    }

    ConfigInterpreter(Path file, Path baseDir, LongSupplier physicalMemoryBytes, DeviceProbe devices) {
        this.file = file;
        this.baseDir = baseDir;
        this.physicalMemoryBytes = physicalMemoryBytes;
        this.devices = devices;
        this.paths = new PathClaims(baseDir, this::problem);
        this.backends = new BackendInterpreter(paths, devices, this::problem);
        this.clones = new CloneInterpreter(paths, backends, this::problem);
    }

    List<ConfigProblem> problems() {
        return problems;
    }

    /** The configuration; meaningful only when {@link #problems()} is empty afterwards. */
    ServerConfig interpret(ConfigElement root) {
        List<PortalConfig> portals = portals(root.children("portal"));
        NopInConfig nopIn = root.child("nop-in").map(this::nopIn).orElse(NopInConfig.DEFAULT);
        CacheConfig cache = root.child("cache").map(this::cache).orElse(CacheConfig.DEFAULT);
        Optional<PeerConfig> peer = root.child("peer").flatMap(this::peer);
        clones.images(root.children("image"));
        List<TargetConfig> targets = new ArrayList<>();
        Map<String, ConfigElement> names = new HashMap<>();
        for (ConfigElement element : root.children("target")) {
            // iSCSI names compare case-insensitively (RFC 3722), so two spellings would be one target.
            ConfigElement first = names.putIfAbsent(element.attribute("name").toLowerCase(Locale.ROOT), element);
            if (first != null) {
                problem(element, "duplicate target name '" + element.attribute("name") + "': already defined at line "
                        + first.line());
            }
            targets.add(target(element));
        }
        checkSecretsUsedInBothDirections();
        return new ServerConfig(file, baseDir, List.copyOf(portals), nopIn, cache, peer, List.copyOf(targets));
    }

    private List<PortalConfig> portals(List<ConfigElement> elements) {
        List<PortalConfig> portals = new ArrayList<>();
        for (ConfigElement element : elements) {
            listenAddress(element, "iSCSI", 3260).ifPresent(portals::add);
        }
        return portals;
    }

    /** The element's {@code listen} address, unless it is unusable or already taken by a portal or the peer. */
    private Optional<PortalConfig> listenAddress(ConfigElement element, String protocol, int wellKnownPort) {
        String listen = element.attribute("listen");
        PortalConfig address;
        try {
            address = PortalConfig.parse(listen, protocol, wellKnownPort);
        } catch (IllegalArgumentException e) {
            problem(element, e.getMessage());
            return Optional.empty();
        }
        // Compare addresses, not spellings: [::1] and [0:0::1] are the same socket.
        String host = address.host();
        String key = (InetAddresses.isInetAddress(host) ? InetAddresses.toAddrString(InetAddresses.forString(host))
                : host.toLowerCase(Locale.ROOT)) + " " + address.port();
        ConfigElement first = listenAddresses.putIfAbsent(key, element);
        if (first != null) {
            problem(element, element.name().equals("peer")
                    ? "the NBD peer cannot listen on " + address + ": the portal at line " + first.line() + " does"
                    : "duplicate portal " + address + ": already listed at line " + first.line());
            return Optional.empty();
        }
        return Optional.of(address);
    }

    private NopInConfig nopIn(ConfigElement element) {
        Duration interval = atLeastMinimum(element, "interval", NopInConfig.DEFAULT.interval());
        Duration timeout = atLeastMinimum(element, "timeout", NopInConfig.DEFAULT.timeout());
        return new NopInConfig(interval, timeout);
    }

    private Duration atLeastMinimum(ConfigElement element, String attribute, Duration otherwise) {
        String text = element.attribute(attribute);
        Duration duration = Durations.parse(text);
        if (duration.compareTo(NopInConfig.MINIMUM) < 0) {
            problem(element, "<nop-in> " + attribute + " " + text + " is too short: at least 1s");
            return otherwise;
        }
        return duration;
    }

    private CacheConfig cache(ConfigElement element) {
        String arena = element.attribute("arena-size");
        int flushers = Integer.parseInt(element.attribute("flushers").strip());
        long arenaBytes;
        if (arena.endsWith("%")) {
            int percent = Integer.parseInt(arena.substring(0, arena.length() - 1));
            if (percent < 1 || percent > MAX_ARENA_PERCENT) {
                problem(element, "arena-size " + arena + " is out of range: use 1% to " + MAX_ARENA_PERCENT
                        + "% of physical memory");
                return CacheConfig.DEFAULT;
            }
            arenaBytes = Math.multiplyExact(physicalMemoryBytes.getAsLong(), percent) / 100;
        } else {
            OptionalLong parsed = backends.size(element, arena);
            if (parsed.isEmpty()) {
                return CacheConfig.DEFAULT;
            }
            arenaBytes = parsed.getAsLong();
        }
        if (arenaBytes < MIN_ARENA_BYTES) {
            problem(element, "arena-size " + arena + " (" + ByteSize.format(arenaBytes)
                    + ") is too small: the cache needs at least 1 MiB");
        }
        return new CacheConfig(arenaBytes, flushers);
    }

    private Optional<PeerConfig> peer(ConfigElement element) {
        Optional<PortalConfig> listen = listenAddress(element, "NBD", PeerConfig.DEFAULT_PORT);
        List<PeerExportConfig> exports = new ArrayList<>();
        Map<String, ConfigElement> names = new HashMap<>();
        for (ConfigElement export : element.children("export")) {
            String name = export.attribute("name");
            ConfigElement first = names.putIfAbsent(name, export);
            if (first != null) {
                problem(export, "duplicate export name '" + name + "' in <peer>: already defined at line "
                        + first.line());
                continue;
            }
            peerExport(export, name).ifPresent(exports::add);
        }
        if (listen.isEmpty() || exports.isEmpty()) {
            return Optional.empty(); // problems were reported; the schema reports a peer without exports
        }
        return Optional.of(new PeerConfig(listen.get(), exports));
    }

    private Optional<PeerExportConfig> peerExport(ConfigElement element, String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_EXPORT_NAME_BYTES) {
            problem(element, "export name '" + name + "' is longer than the " + MAX_EXPORT_NAME_BYTES
                    + " bytes NBD allows");
            return Optional.empty();
        }
        Optional<Path> path = paths.claim(element, "path", "export '" + name + "' of <peer>");
        String sizeText = element.attribute("size");
        OptionalLong size = OptionalLong.empty();
        if (sizeText != null) {
            size = backends.size(element, sizeText);
            if (size.isEmpty()) {
                return Optional.empty();
            }
            long bytes = size.getAsLong();
            if (bytes == 0 || bytes % PeerExportConfig.BLOCK_SIZE != 0) {
                problem(element, "size " + sizeText + BackendInterpreter.spelledOut(sizeText, bytes) + " of export '"
                        + name + "' is not a positive multiple of " + PeerExportConfig.BLOCK_SIZE + " bytes");
                return Optional.empty();
            }
            if (path.isPresent() && devices.status(path.get()) == DeviceProbe.Status.BLOCK_DEVICE) {
                problem(element, "export '" + name + "' is the block device '" + element.attribute("path")
                        + "', which is served at its own size: leave out size");
                return Optional.empty();
            }
        }
        boolean readOnly = "true".equals(element.attribute("read-only"));
        OptionalLong sizeBytes = size;
        return path.map(p -> new PeerExportConfig(name, p, sizeBytes, readOnly));
    }

    private TargetConfig target(ConfigElement element) {
        String alias = element.attribute("alias") == null ? "" : element.attribute("alias");
        Optional<ChapCredentials> chap = element.child("chap").map(c -> credentials(c, "CHAP", false));
        Optional<ChapCredentials> mutualChap = element.child("mutual-chap").map(c -> credentials(c, "mutual CHAP", true));
        if (element.hasChildNamed("mutual-chap") && !element.hasChildNamed("chap")) {
            // In iSCSI the target answers the initiator's challenge inside the initiator's own CHAP exchange
            // (RFC 7143 §12.1.3), so there is no mutual CHAP without one-way CHAP.
            element.child("mutual-chap").ifPresent(m -> problem(m, "<mutual-chap> in " + element.describe()
                    + " requires <chap>: the target can only authenticate itself within the initiator's CHAP exchange"));
        }
        List<String> allowed = element.children("allow").stream().map(a -> a.attribute("initiator")).toList();
        List<LunConfig> luns = new ArrayList<>();
        Map<Integer, ConfigElement> ids = new HashMap<>();
        for (ConfigElement lunElement : element.children("lun")) {
            int id = Integer.parseInt(lunElement.attribute("id").strip());
            ConfigElement first = ids.putIfAbsent(id, lunElement);
            if (first != null) {
                problem(lunElement, "duplicate LUN id " + id + " in " + element.describe() + ": already defined at line "
                        + first.line());
                continue;
            }
            lun(lunElement, id).ifPresent(luns::add);
        }
        Optional<ClonePerInitiatorConfig> clonesOfTarget = element.child("clone-per-initiator")
                .flatMap(clones::clonePerInitiator);
        return new TargetConfig(element.attribute("name"), alias, chap, mutualChap, allowed, List.copyOf(luns),
                clonesOfTarget);
    }

    private ChapCredentials credentials(ConfigElement element, String kind, boolean mutual) {
        ChapCredentials credentials = new ChapCredentials(element.attribute("user"), element.attribute("secret"));
        int bytes = credentials.secretBytes().length;
        if (bytes < MIN_SECRET_BYTES) {
            problem(element, kind + " secret for user '" + credentials.user() + "' is " + bytes
                    + " bytes; iSCSI requires at least " + MIN_SECRET_BYTES + " (RFC 7143 §12.1.3)");
        } else if (bytes > MAX_SECRET_BYTES) {
            problem(element, kind + " secret for user '" + credentials.user() + "' is " + bytes
                    + " bytes; at most " + MAX_SECRET_BYTES + " are supported");
        }
        secrets.add(new SecretUse(element, credentials, mutual));
        return credentials;
    }

    /**
     * RFC 7143 §12.1.3: a secret that authenticates initiators must never authenticate a target, or an attacker could
     * reflect the target's own challenge back at it. Checked across all targets, not only within one.
     */
    private void checkSecretsUsedInBothDirections() {
        for (SecretUse mutual : secrets) {
            if (!mutual.mutual()) {
                continue;
            }
            for (SecretUse initiatorSide : secrets) {
                if (!initiatorSide.mutual() && Arrays.equals(mutual.credentials().secretBytes(),
                        initiatorSide.credentials().secretBytes())) {
                    ConfigElement target = mutual.element().parent();
                    ConfigElement owner = initiatorSide.element().parent();
                    String other = owner == target ? "its CHAP secret" : "the CHAP secret of " + owner.describe();
                    problem(mutual.element(), "the mutual CHAP secret of " + target.describe() + " is the same as "
                            + other + "; RFC 7143 §12.1.3 forbids using one secret in both directions");
                    break;
                }
            }
        }
    }

    private Optional<LunConfig> lun(ConfigElement element, int id) {
        boolean writeCache = "on".equals(element.attribute("write-cache"));
        int blockSize = Integer.parseInt(element.attribute("block-size").strip());
        String physical = element.attribute("physical-block-size");
        int physicalBlockSize = physical == null ? blockSize : Integer.parseInt(physical.strip());
        boolean readOnly = "true".equals(element.attribute("read-only"));
        boolean physicalFits = LunConfig.isPhysicalBlockSizeOf(physicalBlockSize, blockSize);
        if (!physicalFits) {
            problem(element, "physical-block-size " + physicalBlockSize + " of " + element.describe()
                    + " must be its block-size " + blockSize + " times a power of two up to "
                    + (1 << LunConfig.MAX_BLOCKS_PER_PHYSICAL_BLOCK_EXPONENT)
                    + " (READ CAPACITY(16) reports at most 2^15 logical blocks per physical block)");
        }
        return backends.backendOf(element, blockSize).filter(backend -> physicalFits).map(backend ->
                new LunConfig(id, writeCache, blockSize, physicalBlockSize, readOnly, backend));
    }

    private void problem(ConfigElement element, String message) {
        problems.add(new ConfigProblem(file, element.line(), element.column(), message));
    }
}
