package dev.jtarget.iscsi.session;

import dev.jtarget.backend.memory.MemoryBackend;
import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.ChapCredentials;
import dev.jtarget.config.LunConfig;
import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.TargetConfig;
import dev.jtarget.iscsi.initiator.EmbeddedTransport;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.login.TargetLimits;
import dev.jtarget.iscsi.pdu.CodecSettings;
import dev.jtarget.iscsi.pdu.PduEncoder;
import dev.jtarget.iscsi.pdu.PduFrameDecoder;
import dev.jtarget.scsi.LogicalUnit;
import dev.jtarget.scsi.ScsiTarget;
import dev.jtarget.scsi.ScsiTargetDevice;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One target with a RAM-disk LUN 0, served through the real pipeline (frame decoder, encoder, {@link IscsiConnection})
 * in {@link EmbeddedChannel}s, each with its own counting allocator and with the event loop's clock frozen, so a test
 * moves time on only when it means to ({@link #advanceTime}).
 */
final class EmbeddedTarget implements AutoCloseable {
    static final String TARGET_NAME = "iqn.2026-01.dev.jtarget.test:disk";
    /** The same LUN behind a second target that requires CHAP. */
    static final String CHAP_TARGET_NAME = "iqn.2026-01.dev.jtarget.test:locked";
    static final String CHAP_USER = "farm";
    static final String CHAP_SECRET = "twelve-or-more-chars";
    static final int BLOCK_SIZE = 512;
    static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(30);
    static final Duration NOP_INTERVAL = Duration.ofSeconds(15);
    static final Duration NOP_TIMEOUT = Duration.ofSeconds(30);

    final MemoryBackend backend;
    final SessionRegistry registry = new SessionRegistry(64);
    final ServerContext context;
    private final ScsiTargetDevice device;
    private final List<EmbeddedTransport> connections = new ArrayList<>();
    private long nextIsid = 0x80_0000_0001L;

    EmbeddedTarget() {
        this(TargetLimits.DEFAULTS, 2048, UnaryOperator.identity());
    }

    EmbeddedTarget(TargetLimits limits) {
        this(limits, 2048, UnaryOperator.identity());
    }

    /**
     * @param blocks      size of LUN 0 in 512-byte blocks
     * @param deviceShell wraps the SCSI device, e.g. to hold commands in execution
     */
    EmbeddedTarget(TargetLimits limits, int blocks, UnaryOperator<ScsiTargetDevice> deviceShell) {
        this(limits, blocks, 1, deviceShell);
    }

    /** @param lunCount LUNs 0 to lunCount - 1, each a RAM disk of {@code blocks} blocks; {@link #backend} is LUN 0's */
    EmbeddedTarget(TargetLimits limits, int blocks, int lunCount, UnaryOperator<ScsiTargetDevice> deviceShell) {
        backend = new MemoryBackend((long) blocks * BLOCK_SIZE, BLOCK_SIZE);
        LunConfig lun = new LunConfig(0, true, BLOCK_SIZE, false, new BackendConfig.Memory(backend.sizeBytes()));
        List<LogicalUnit> units = new ArrayList<>(List.of(LogicalUnit.create(TARGET_NAME, lun, backend)));
        for (int id = 1; id < lunCount; id++) {
            MemoryBackend more = new MemoryBackend(backend.sizeBytes(), BLOCK_SIZE);
            units.add(LogicalUnit.create(TARGET_NAME, new LunConfig(id, true, BLOCK_SIZE, false,
                    new BackendConfig.Memory(more.sizeBytes())), more));
        }
        device = deviceShell.apply(new ScsiTarget(TARGET_NAME, units));
        TargetConfig open = new TargetConfig(TARGET_NAME, "test disk", Optional.empty(), Optional.empty(),
                List.of(), List.of(lun));
        TargetConfig locked = new TargetConfig(CHAP_TARGET_NAME, "", Optional.of(new ChapCredentials(CHAP_USER,
                CHAP_SECRET)), Optional.empty(), List.of(), List.of(lun));
        context = new ServerContext(List.of(open, locked), Map.of(TARGET_NAME.toLowerCase(Locale.ROOT), device,
                CHAP_TARGET_NAME.toLowerCase(Locale.ROOT), device), List.of(new PortalConfig("127.0.0.1", 3260)),
                registry, limits, LOGIN_TIMEOUT, NOP_INTERVAL, NOP_TIMEOUT);
    }

    /** A new connection: the target side is active and waiting for a Login Request. */
    EmbeddedTransport connect() {
        UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false);
        CodecSettings codec = new CodecSettings();
        EmbeddedChannel channel = new EmbeddedChannel(false, false, new PduFrameDecoder(codec), new PduEncoder(codec),
                new IscsiConnection(context, codec));
        channel.config().setAllocator(allocator);
        try {
            channel.register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        channel.freezeTime();
        EmbeddedTransport transport = new EmbeddedTransport(channel, allocator);
        connections.add(transport);
        return transport;
    }

    /** A test initiator on a new connection, with an ISID of its own. */
    TestInitiator initiator() {
        return new TestInitiator(connect(), nextIsid++, BLOCK_SIZE);
    }

    /** A test initiator logged in to LUN 0's target with {@code keys}, its unit attention already cleared. */
    TestInitiator loggedIn(String... keys) {
        TestInitiator initiator = initiator();
        var response = initiator.login(TARGET_NAME, keys);
        if (response.loginStatus() != 0 || !response.entersFullFeaturePhase()) {
            throw new AssertionError("login failed: " + response);
        }
        initiator.clearUnitAttention();
        return initiator;
    }

    /** Moves the frozen clock of {@code transport}'s event loop on and runs what became due. */
    static void advanceTime(EmbeddedTransport transport, Duration duration) {
        transport.channel().advanceTimeBy(duration.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        transport.channel().runPendingTasks();
    }

    byte[] backendBytes(long offset, int length) {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        backend.read(offset, buffer).join();
        return buffer.array();
    }

    void fillBackend(long offset, byte[] bytes) {
        backend.write(offset, new ByteBuffer[] {ByteBuffer.wrap(bytes)}, false).join();
    }

    /** Closes every connection, checks none of them leaked a buffer, and frees the RAM disk. */
    @Override
    public void close() {
        try {
            for (EmbeddedTransport connection : connections) {
                connection.close();
                connection.channel().finishAndReleaseAll();
            }
            for (EmbeddedTransport connection : connections) {
                connection.assertNoLeaks();
            }
        } finally {
            device.close();
        }
    }
}
