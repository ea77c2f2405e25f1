package dev.jtarget.it;

import static dev.jtarget.it.TargetSpec.mib;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, the diskless build farm with the Linux kernel initiator: the VM harness's provisioning step writes its
 * Debian root filesystem to a plain LUN, which then serves as the golden image of a clone-per-initiator target. Two
 * machines with different initiator names boot from it with the root filesystem on iSCSI ({@code iscsistart},
 * {@code switch_root}), build a C program there and count their boots in {@code /var/lib/harness/boot-count}: each
 * machine's count covers its own boots only, since each writes its own clone through the write-back cache, and the
 * golden image stays byte for byte what provisioning left.
 */
@Tag("integration")
class DisklessBootIT {
    private static final TargetSpec GOLDEN_DISK = TargetSpec.named("iqn.2026-11.dev.jtarget:it.golden")
            .withLun(0, mib(512));
    private static final String FARM = "iqn.2026-11.dev.jtarget:it.diskless-farm";
    private static final String MACHINE_A = "iqn.2026-11.dev.jtarget:machine-a";
    private static final String MACHINE_B = "iqn.2026-11.dev.jtarget:machine-b";
    private static final String IMAGE = "bookworm-build";
    /** Larger than the image, so the clones also serve blocks past its end (zeros until written). */
    private static final long CLONE_BYTES = mib(1024);
    /**
     * Per VM boot. A boot takes about a minute under TCG on an idle machine (provisioning about 40 s), and measured
     * 4.5 minutes (provisioning 3) with a load average of 10 on the two cores; this only stops a hung one.
     */
    private static final Duration GUEST_TIMEOUT = Duration.ofMinutes(8);

    /**
     * The first boot runs the harness's whole build workload (300 C files compiled, 5000 files churned); the later
     * ones prove isolation and persistence, which a third of it shows as well, at a third of the time under TCG.
     */
    private static final List<String> SMALLER_BUILD = List.of(
            "--env", "HARNESS_BUILD_UNITS=100", "--env", "HARNESS_CHURN_FILES=1500");

    /**
     * The guest's kernel pings the target with a NOP-Out every 5 s and, by default, drops the connection when no
     * answer came within 5 s. With a dozen jobs on the two cores (CPU pressure "some" at 90 %) a provisioning run
     * lost its connection that way three times while nothing at all ran for 5 to 12 s: the server's own once-a-minute
     * statistics timer fired 5 to 6 s late at the same moments. After switch_root no iscsid recovers a connection, so
     * one such stall would end a diskless boot; 15 s still fails a target that really stops answering.
     */
    private static final List<String> PING_TIMEOUT = List.of("--param", "node.conn[0].timeo.noop_out_timeout=15");

    @TempDir
    Path workDir;
    private VmHarness harness;
    private TestServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void twoMachinesBootFromTheirOwnClonesOfOneGoldenImage() throws IOException {
        Tools.require("qemu-img");
        harness = VmHarness.locateWithRootImage();
        Path golden = provisionGoldenImage();
        String goldenSha256 = sha256(golden);
        Path clones = workDir.resolve("clones");
        TargetSpec farm = TargetSpec.named(FARM).withClonePerInitiator(IMAGE, clones, CLONE_BYTES);
        server = TestServer.start("diskless-farm", portal -> ConfigXml.render(portal,
                List.of(new ConfigXml.Image(IMAGE, golden)), List.of(farm), workDir));

        assertEquals("1", boot(MACHINE_A, "machine-a-boot-1", List.of()).key("boot_count"), "machine-a's first boot");
        assertEquals("1", boot(MACHINE_B, "machine-b-boot-1", SMALLER_BUILD).key("boot_count"),
                "machine-b's first boot: its clone does not see machine-a's boot");
        assertEquals("2", boot(MACHINE_A, "machine-a-boot-2", SMALLER_BUILD).key("boot_count"),
                "machine-a's second boot: its clone kept its first boot, not machine-b's");
        String log = server.logTail(400);
        for (String machine : List.of(MACHINE_A, MACHINE_B)) {
            assertTrue(log.contains("LUN 0 for " + machine + ": write-back cache over qcow2 "),
                    "the clone is served through the write-back cache:\n" + log);
        }
        server.close();

        assertEquals(goldenSha256, sha256(golden), "the golden image changed");
        List<Path> overlays = qcow2FilesIn(clones);
        assertEquals(2, overlays.size(), "one clone per machine: " + overlays);
        Path reference = referenceClone(golden);
        for (Path overlay : overlays) {
            Tools.Result check = Tools.command("qemu-img", "check", overlay.toString()).run();
            assertTrue(check.succeeded() && check.output().contains("No errors were found"), check.describe());
            assertLooksLikeReference(overlay, reference);
        }
    }

    /**
     * The harness writes its root filesystem to a plain file LUN and checks the SHA-256 it reads back; the file, with
     * the server stopped, becomes the golden image.
     */
    private Path provisionGoldenImage() throws IOException {
        Path lunDir = Files.createDirectory(workDir.resolve("provision"));
        server = TestServer.start("diskless-provision", lunDir, List.of(GOLDEN_DISK));
        List<String> arguments = new ArrayList<>(List.of(
                "--portal", server.portal(), "--target", GOLDEN_DISK.name(), "--provision-only"));
        arguments.addAll(PING_TIMEOUT);
        Tools.Result run = harness.runDiskless("diskless-provision", GUEST_TIMEOUT, arguments);
        VmHarness.Phase provision = VmHarness.phase(run, "provision");
        assertTrue(provision.passed() && run.succeeded(), run.describe() + "\n--- server log tail ---\n"
                + server.logTail(40));
        System.out.printf("diskless provisioning of the golden image: wall %s s, boot_to_login %s s%n",
                provision.key("wall_s"), provision.key("boot_to_login_s"));
        server.close();
        server = null;
        return Files.move(GOLDEN_DISK.backingFile(lunDir, GOLDEN_DISK.luns().getFirst()),
                workDir.resolve("golden.raw"));
    }

    /** One diskless boot of the machine named {@code initiator} with {@code workload} options; it must pass. */
    private VmHarness.Phase boot(String initiator, String runName, List<String> workload) {
        List<String> arguments = new ArrayList<>(List.of(
                "--portal", server.portal(), "--target", FARM, "--initiator", initiator, "--no-provision"));
        arguments.addAll(PING_TIMEOUT);
        arguments.addAll(workload);
        Tools.Result run = harness.runDiskless(runName, GUEST_TIMEOUT, arguments);
        VmHarness.Phase boot = VmHarness.phase(run, "diskless");
        assertTrue(boot.passed() && run.succeeded(), run.describe() + "\n--- server log tail ---\n"
                + server.logTail(40));
        System.out.printf("diskless boot %s: boot_count %s, boot_to_root %s s, build %s s, wall %s s%n", runName,
                boot.key("boot_count"), boot.key("boot_to_root_s"), boot.key("build_s"), boot.key("wall_s"));
        return boot;
    }

    /** What {@code qemu-img create} makes as a clone of the golden image: the overlays must match it. */
    private Path referenceClone(Path golden) {
        Path reference = workDir.resolve("reference.qcow2");
        Tools.Result create = Tools.command("qemu-img", "create", "-q", "-f", "qcow2", "-b", golden.toString(),
                "-F", "raw", reference.toString(), String.valueOf(CLONE_BYTES)).run();
        assertTrue(create.succeeded(), create.describe());
        return reference;
    }

    private static void assertLooksLikeReference(Path overlay, Path reference) {
        String ours = info(overlay);
        String theirs = info(reference);
        for (String field : List.of("format", "virtual-size", "backing-filename", "full-backing-filename",
                "backing-filename-format")) {
            assertEquals(jsonField(theirs, field), jsonField(ours, field), field + " of " + overlay + ":\n" + ours);
        }
    }

    private static String info(Path image) {
        Tools.Result info = Tools.command("qemu-img", "info", "--output=json", image.toString()).run();
        assertTrue(info.succeeded(), info.describe());
        return info.output();
    }

    /**
     * The value of {@code "field": value} at the top level of qemu-img's pretty-printed JSON (indented by 4): newer
     * versions repeat fields such as "format" for the image's children.
     */
    private static String jsonField(String json, String field) {
        Matcher value = Pattern.compile("^ {4}\"" + Pattern.quote(field) + "\": (\"[^\"]*\"|[^,\\n]+)",
                Pattern.MULTILINE).matcher(json);
        if (!value.find()) {
            throw new AssertionError("qemu-img info has no " + field + ":\n" + json);
        }
        return value.group(1);
    }

    private static List<Path> qcow2FilesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".qcow2")).sorted().toList();
        }
    }

    private static String sha256(Path file) {
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file),
                MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }
}
