package dev.jtarget.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The VM harness of {@code ../shared/harness/vm} (next to the repository): a throw-away Debian guest whose kernel
 * initiator logs in to a target on this host and uses the LUN as a disk. See its README.
 */
final class VmHarness {
    /** Downloading packages and building the images from scratch takes about a minute; allow for a slow mirror. */
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);

    /** The guest console log the harness names in its result lines. */
    private static final Pattern CONSOLE_LOG = Pattern.compile("/\\S+-console\\.log");
    /** One {@code key=value} of a result line; values never contain blanks (the guest writes them with '_'). */
    private static final Pattern KEY_VALUE = Pattern.compile("\\b([a-z][a-z0-9_]*)=(\\S*)");
    /** What every run boots: kernel, initramfs and the accelerator build.sh chose. */
    private static final List<String> GUEST_BOOT_FILES = List.of("vmlinuz", "initramfs.img", "qemu.conf");

    private final Path dir;

    private VmHarness(Path dir) {
        this.dir = dir;
    }

    /**
     * The harness next to the repository ({@code -Djtarget.it.vmHarness=DIR} overrides), built if its cache lacks the
     * guest images; skips the calling test when there is none.
     */
    static VmHarness locate() {
        return locate(GUEST_BOOT_FILES);
    }

    /**
     * {@link #locate()} for {@link #runDiskless}: the harness's cache must also hold the root filesystem image that its
     * provisioning step writes to a LUN.
     */
    static VmHarness locateWithRootImage() {
        List<String> files = new ArrayList<>(GUEST_BOOT_FILES);
        files.add("rootfs.ext4");
        return locate(files);
    }

    private static VmHarness locate(List<String> cachedFiles) {
        Optional<Path> dir = Optional.ofNullable(System.getProperty("jtarget.it.vmHarness")).map(Path::of)
                .or(VmHarness::besideTheRepository);
        assumeTrue(dir.isPresent(), "the kernel initiator tests need ../shared/harness/vm next to the repository "
                + "(or -Djtarget.it.vmHarness=DIR); looked beside " + ItPaths.repoRoot());
        VmHarness harness = new VmHarness(dir.get());
        harness.ensureBuilt(cachedFiles);
        return harness;
    }

    /**
     * Runs {@code run-iscsiadm.sh} with {@code arguments}; its console output is kept in
     * {@code target/it/kernel-initiator/<runName>.log}. A run whose guest printed nothing at all before the deadline
     * is run once more (as {@code <runName>-retry}): its kernel never started, a stall of qemu under TCG on this
     * shared machine, and no target was ever contacted. Any run that got as far as a first console line counts.
     *
     * @param guestTimeout the harness's own deadline for the VM; ours adds a minute on top so the harness can report
     */
    Tools.Result runIscsiadm(String runName, Duration guestTimeout, List<String> arguments) {
        return runRetryingUnbootedGuest("run-iscsiadm.sh", runName, guestTimeout, guestTimeout, arguments);
    }

    /**
     * Runs {@code run-diskless.sh} with {@code arguments} (root filesystem on the LUN; see the harness README), with
     * the same log file and retry as {@link #runIscsiadm}. Without {@code --provision-only} or
     * {@code --no-provision} it boots the VM twice, each boot within {@code guestTimeout}. Its results per boot are
     * in {@link #phase}.
     */
    Tools.Result runDiskless(String runName, Duration guestTimeout, List<String> arguments) {
        return runRetryingUnbootedGuest("run-diskless.sh", runName, guestTimeout, guestTimeout.multipliedBy(2),
                arguments);
    }

    private Tools.Result runRetryingUnbootedGuest(String script, String runName, Duration guestTimeout,
                                                  Duration allBoots, List<String> arguments) {
        Tools.Result run = runOnce(script, runName, guestTimeout, allBoots, arguments);
        if (run.succeeded() || !guestNeverBooted(run)) {
            return run;
        }
        System.err.println("VM harness run " + runName + ": the guest printed nothing before the deadline (its kernel"
                + " never started); running it once more");
        return runOnce(script, runName + "-retry", guestTimeout, allBoots, arguments);
    }

    private Tools.Result runOnce(String script, String runName, Duration guestTimeout, Duration allBoots,
                                 List<String> arguments) {
        List<String> argv = new ArrayList<>();
        argv.add(dir.resolve(script).toString());
        argv.addAll(arguments);
        argv.addAll(List.of("--timeout", String.valueOf(guestTimeout.toSeconds())));
        return Tools.command(argv.toArray(String[]::new))
                .timeout(allBoots.plusMinutes(1))
                .outputTo(ItPaths.outputDir("kernel-initiator").resolve(runName + ".log"))
                .run();
    }

    /**
     * One boot of a {@code run-diskless.sh} run ({@code provision} or {@code diskless}): its status and the
     * {@code key=value} pairs of its result line ({@code HARNESS PHASE <name>: PASS key=value ...}), plus
     * {@code wall_s}, the host's wall-clock time for the boot ({@code HARNESS HOST: phase=<name> ... wall_s=...}).
     */
    record Phase(String name, String status, Map<String, String> keys, Tools.Result run) {
        boolean passed() {
            return status.equals("PASS");
        }

        /** The value of {@code key}; fails with the whole run's story when the boot did not report it. */
        String key(String key) {
            String value = keys.get(key);
            if (value == null) {
                throw new AssertionError("phase " + name + " reported no " + key + "; " + run.describe());
            }
            return value;
        }
    }

    /** The {@code name} boot of a {@link #runDiskless} run; fails when the run has no result line for it. */
    static Phase phase(Tools.Result run, String name) {
        Matcher line = Pattern.compile("^HARNESS PHASE " + Pattern.quote(name) + ": (\\S+)(.*)$", Pattern.MULTILINE)
                .matcher(run.output());
        if (!line.find()) {
            throw new AssertionError("no result for the " + name + " boot; " + run.describe());
        }
        Map<String, String> keys = new LinkedHashMap<>();
        Matcher pair = KEY_VALUE.matcher(line.group(2));
        while (pair.find()) {
            keys.put(pair.group(1), pair.group(2));
        }
        Matcher host = Pattern.compile("^HARNESS HOST: phase=" + Pattern.quote(name) + " .*\\bwall_s=(\\S+)",
                Pattern.MULTILINE).matcher(run.output());
        if (host.find()) {
            keys.put("wall_s", host.group(1));
        }
        return new Phase(name, line.group(1), keys, run);
    }

    /** The harness timed out and names a guest console log that is empty: the guest never booted. */
    private static boolean guestNeverBooted(Tools.Result run) {
        if (!run.output().contains("reason=TIMEOUT")) {
            return false;
        }
        Matcher console = CONSOLE_LOG.matcher(run.output());
        try {
            return console.find() && Files.size(Path.of(console.group())) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** A guest script shipped in the harness's {@code examples/}, for {@code --script}. */
    Path example(String name) {
        Path script = dir.resolve("examples").resolve(name);
        if (!Files.isRegularFile(script)) {
            throw new AssertionError("the VM harness has no " + script);
        }
        return script;
    }

    /** build.sh is idempotent but slow to find out; only run it when an image the runs need is missing. */
    private void ensureBuilt(List<String> cachedFiles) {
        Path cache = cacheDir();
        boolean built = cachedFiles.stream()
                .allMatch(file -> Files.isRegularFile(cache.resolve(file)));
        if (built) {
            return;
        }
        Tools.Result build = Tools.command(dir.resolve("build.sh").toString())
                .timeout(BUILD_TIMEOUT)
                .outputTo(ItPaths.outputDir("kernel-initiator").resolve("build.log"))
                .run();
        if (!build.succeeded()) {
            throw new AssertionError("building the VM harness failed: " + build.describe());
        }
    }

    /**
     * Where the harness keeps its images, by the rule in its lib/common.sh: HARNESS_CACHE, else a writable copy's own
     * cache/, else ~/.cache/iscsi-vm-harness.
     */
    private Path cacheDir() {
        String override = System.getenv("HARNESS_CACHE");
        if (override != null && !override.isEmpty()) {
            return Path.of(override);
        }
        if (Files.isWritable(dir)) {
            return dir.resolve("cache");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("iscsi-vm-harness");
    }

    /**
     * {@code <repo>/../shared/harness/vm}. A linked git worktree (a checkout elsewhere sharing one repository) looks
     * beside its main checkout too, which its {@code .git} file leads to.
     */
    private static Optional<Path> besideTheRepository() {
        Path repo = ItPaths.repoRoot();
        for (Path checkout : List.of(repo, mainCheckoutOf(repo).orElse(repo))) {
            Path candidate = checkout.resolveSibling("shared").resolve("harness").resolve("vm");
            if (Files.isExecutable(candidate.resolve("run-iscsiadm.sh"))) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** A worktree's .git file reads "gitdir: <main>/.git/worktrees/<name>", whose "commondir" leads to main/.git. */
    private static Optional<Path> mainCheckoutOf(Path worktree) {
        Path gitFile = worktree.resolve(".git");
        if (!Files.isRegularFile(gitFile)) {
            return Optional.empty();
        }
        try {
            String line = Files.readString(gitFile).strip();
            if (!line.startsWith("gitdir:")) {
                return Optional.empty();
            }
            Path gitDir = worktree.resolve(line.substring("gitdir:".length()).strip());
            Path commonDirFile = gitDir.resolve("commondir");
            if (!Files.isRegularFile(commonDirFile)) {
                return Optional.empty(); // a submodule's .git file, not a worktree's
            }
            Path commonDir = gitDir.resolve(Files.readString(commonDirFile).strip()).normalize();
            return Optional.of(commonDir.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the git worktree link " + gitFile, e);
        }
    }
}
