package dev.jtarget.config;

import com.google.common.net.InetAddresses;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
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
 * so one mistake is reported once. Nothing is created or opened: this only reads the tree.
 */
final class ConfigInterpreter {

    /** The backend elements this version understands; the schema's substitution group {@code backend} lists the same. */
    static final List<String> BACKEND_ELEMENTS = List.of("file", "memory");

    /** RFC 7143 §12.1.3: at least 96 bits of secret unless IPsec protects the connection, which jtarget does not do. */
    static final int MIN_SECRET_BYTES = 12;
    static final int MAX_SECRET_BYTES = 255;
    static final long MIN_ARENA_BYTES = 1L << 20;
    static final int MAX_ARENA_PERCENT = 90;

    private final Path file;
    private final Path baseDir;
    private final LongSupplier physicalMemoryBytes;
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final Map<Path, ConfigElement> backingFiles = new HashMap<>();
    private final List<SecretUse> secrets = new ArrayList<>();

    /** Where a CHAP secret is configured; {@code mutual} secrets authenticate the target, the others initiators. */
    private record SecretUse(ConfigElement element, ChapCredentials credentials, boolean mutual) {
    }

    ConfigInterpreter(Path file, Path baseDir, LongSupplier physicalMemoryBytes) {
        this.file = file;
        this.baseDir = baseDir;
        this.physicalMemoryBytes = physicalMemoryBytes;
    }

    List<ConfigProblem> problems() {
        return problems;
    }

    /** The configuration; meaningful only when {@link #problems()} is empty afterwards. */
    ServerConfig interpret(ConfigElement root) {
        List<PortalConfig> portals = portals(root.children("portal"));
        CacheConfig cache = root.child("cache").map(this::cache).orElse(CacheConfig.DEFAULT);
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
        return new ServerConfig(file, baseDir, List.copyOf(portals), cache, List.copyOf(targets));
    }

    private List<PortalConfig> portals(List<ConfigElement> elements) {
        List<PortalConfig> portals = new ArrayList<>();
        Map<String, ConfigElement> seen = new HashMap<>();
        for (ConfigElement element : elements) {
            String listen = element.attribute("listen");
            int colon = listen.lastIndexOf(':');
            String hostPart = listen.substring(0, colon);
            int port = Integer.parseInt(listen.substring(colon + 1));
            boolean bracketed = hostPart.startsWith("[");
            String host = bracketed ? hostPart.substring(1, hostPart.length() - 1) : hostPart;
            if (port < 1 || port > 65535) {
                problem(element, "port " + port + " in '" + listen + "' is out of range: use 1 to 65535 (iSCSI's port is 3260)");
                continue;
            }
            boolean literal = InetAddresses.isInetAddress(host);
            if (bracketed && !(literal && host.contains(":"))) {
                problem(element, "'" + host + "' in '" + listen + "' is not a valid IPv6 address");
                continue;
            }
            if (!bracketed && !literal && host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
                problem(element, "'" + host + "' in '" + listen + "' is not a valid IPv4 address");
                continue;
            }
            PortalConfig portal = new PortalConfig(host, port);
            // Compare addresses, not spellings: [::1] and [0:0::1] are the same socket.
            String key = (literal ? InetAddresses.toAddrString(InetAddresses.forString(host))
                    : host.toLowerCase(Locale.ROOT)) + " " + port;
            ConfigElement first = seen.putIfAbsent(key, element);
            if (first != null) {
                problem(element, "duplicate portal " + portal + ": already listed at line " + first.line());
            } else {
                portals.add(portal);
            }
        }
        return portals;
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
            OptionalLong parsed = size(element, arena);
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
        return new TargetConfig(element.attribute("name"), alias, chap, mutualChap, allowed, List.copyOf(luns));
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
        boolean readOnly = "true".equals(element.attribute("read-only"));
        Optional<ConfigElement> backendElement = element.children().stream().findFirst();
        if (backendElement.isEmpty()) {
            return Optional.empty(); // the schema already reported the missing or unknown backend
        }
        return backend(backendElement.get(), blockSize)
                .map(backend -> new LunConfig(id, writeCache, blockSize, readOnly, backend));
    }

    private Optional<BackendConfig> backend(ConfigElement element, int blockSize) {
        OptionalLong size = lunSize(element, blockSize);
        return switch (element.name()) {
            case "file" -> {
                // Checked even when the size is wrong, so both mistakes are reported in one go.
                Optional<Path> path = backingFile(element);
                yield size.isPresent() ? path.map(p -> new BackendConfig.File(p, size.getAsLong())) : Optional.empty();
            }
            case "memory" -> size.isPresent() ? Optional.of(new BackendConfig.Memory(size.getAsLong())) : Optional.empty();
            default -> {
                problem(element, "backend <" + element.name() + "> is in the schema but this version of jtarget"
                        + " cannot serve it: use " + SchemaMessages.orList(BACKEND_ELEMENTS));
                yield Optional.empty();
            }
        };
    }

    private OptionalLong lunSize(ConfigElement element, int blockSize) {
        String text = element.attribute("size");
        OptionalLong size = size(element, text);
        if (size.isEmpty()) {
            return size;
        }
        long bytes = size.getAsLong();
        if (bytes == 0) {
            problem(element, "size of " + element.parent().describe() + " is 0: a LUN needs at least one "
                    + blockSize + "-byte block");
            return OptionalLong.empty();
        }
        if (bytes % blockSize != 0) {
            String spelledOut = text.equals(Long.toString(bytes)) ? "" : " (" + bytes + " bytes)";
            problem(element, "size " + text + spelledOut + " of " + element.parent().describe()
                    + " is not a multiple of its block-size " + blockSize);
            return OptionalLong.empty();
        }
        return size;
    }

    private Optional<Path> backingFile(ConfigElement element) {
        String text = element.attribute("path");
        Path path;
        try {
            path = baseDir.resolve(text).normalize();
        } catch (InvalidPathException e) {
            problem(element, "'" + text + "' is not a usable file path: " + e.getReason());
            return Optional.empty();
        }
        ConfigElement first = backingFiles.putIfAbsent(path, element);
        if (first != null) {
            problem(element, "file '" + text + "' is already the backend of " + first.parent().describe() + " (line "
                    + first.line() + "); two LUNs on one file would overwrite each other's data");
            return Optional.empty();
        }
        return Optional.of(path);
    }

    private OptionalLong size(ConfigElement element, String text) {
        try {
            return OptionalLong.of(ByteSize.parse(text));
        } catch (IllegalArgumentException e) {
            problem(element, e.getMessage());
            return OptionalLong.empty();
        }
    }

    private void problem(ConfigElement element, String message) {
        problems.add(new ConfigProblem(file, element.line(), element.column(), message));
    }
}
