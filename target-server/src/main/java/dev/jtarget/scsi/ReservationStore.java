package dev.jtarget.scsi;

import dev.jtarget.scsi.ReservationState.Registration;
import dev.jtarget.scsi.ReservationState.Reservation;
import dev.jtarget.scsi.ReservationState.Snapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Keeps a logical unit's persistent reservation across restarts when the last registration set APTPL (SPC-4
 * §5.9.5): one small text file per LUN in the state directory, replaced atomically (written beside, synced, renamed)
 * so a crash leaves the old state or the new one, never a mix. The format, one item per line:
 *
 * <pre>
 * jtarget-persistent-reservation 1
 * generation 7
 * registration &lt;key hex&gt; &lt;ISID hex&gt; &lt;TPGT&gt; &lt;initiator name&gt;
 * reservation &lt;type code&gt; &lt;ISID hex&gt; &lt;TPGT&gt; &lt;initiator name&gt;
 * </pre>
 */
final class ReservationStore {
    private static final String HEADER = "jtarget-persistent-reservation 1";
    /** File writes and fsyncs block; they run here, never on the caller's (event loop) thread. */
    private static final Executor WRITER = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("reservation-store-", 0).factory());

    private final Path file;
    private final String targetName;

    private ReservationStore(Path file, String targetName) {
        this.file = file;
        this.targetName = targetName;
    }

    /**
     * The store of LUN {@code lun} of {@code targetName} in {@code directory}. iSCSI names use only letters, digits,
     * '.', '-' and ':' (RFC 3722), so replacing ':' gives a distinct, portable file name per target.
     */
    static ReservationStore forLun(Path directory, String targetName, int lun) {
        return new ReservationStore(directory.resolve(targetName.replace(':', '_') + "-lun" + lun + ".pr"),
                targetName);
    }

    Executor executor() {
        return WRITER;
    }

    /**
     * The stored state, or null when there is none.
     *
     * @throws UncheckedIOException when the file cannot be read or is not in this format: starting without the
     *                              reservations a cluster relies on would be worse than not starting
     */
    Snapshot load() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read persistent reservations from " + file, e);
        }
        try {
            return parse(lines);
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException(file + " is not a persistent reservation file: "
                    + e.getMessage(), e));
        }
    }

    private Snapshot parse(List<String> lines) {
        if (lines.isEmpty() || !lines.getFirst().equals(HEADER)) {
            throw new IllegalArgumentException("the first line is not '" + HEADER + "'");
        }
        int generation = 0;
        List<Registration> registrations = new ArrayList<>();
        Reservation reservation = null;
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.split(" ", 5);
            switch (fields[0]) {
                case "generation" -> generation = Integer.parseUnsignedInt(fields[1]);
                case "registration" -> registrations.add(new Registration(nexus(fields),
                        HexFormat.fromHexDigitsToLong(fields[1])));
                case "reservation" -> {
                    PrType type = PrType.of(Integer.parseInt(fields[1]));
                    if (type == null) {
                        throw new IllegalArgumentException("unknown reservation type " + fields[1]);
                    }
                    reservation = new Reservation(nexus(fields), type);
                }
                default -> throw new IllegalArgumentException("unknown line '" + line + "'");
            }
        }
        return new Snapshot(generation, List.copyOf(registrations), reservation, true);
    }

    private ItNexus nexus(String[] fields) {
        if (fields.length != 5) {
            throw new IllegalArgumentException("expected 5 fields in '" + String.join(" ", fields) + "'");
        }
        return new ItNexus(fields[4], HexFormat.fromHexDigitsToLong(fields[2]), targetName,
                Integer.parseInt(fields[3]));
    }

    /** Stores {@code state}, or removes the stored state when it is null (APTPL is off). */
    void replace(Snapshot state) {
        try {
            if (state == null) {
                Files.deleteIfExists(file);
            } else {
                write(format(state));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store persistent reservations in " + file, e);
        }
    }

    private static String format(Snapshot state) {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        text.append("generation ").append(Integer.toUnsignedString(state.generation())).append('\n');
        for (Registration registration : state.registrations()) {
            text.append("registration ").append(Long.toHexString(registration.key())).append(' ')
                    .append(port(registration.nexus())).append('\n');
        }
        Reservation reservation = state.reservation();
        if (reservation != null) {
            text.append("reservation ").append(reservation.type().code).append(' ')
                    .append(port(reservation.creator())).append('\n');
        }
        return text.toString();
    }

    private static String port(ItNexus nexus) {
        return Long.toHexString(nexus.isid()) + ' ' + nexus.targetPortalGroupTag() + ' ' + nexus.initiatorName();
    }

    private void write(String text) throws IOException {
        Files.createDirectories(file.getParent()); // created on first use: most setups never register with APTPL
        Path temporary = file.resolveSibling(file.getFileName() + ".new");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = StandardCharsets.UTF_8.encode(text);
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // The rename is durable only once the directory entry is (POSIX: fsync the directory).
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }
}
