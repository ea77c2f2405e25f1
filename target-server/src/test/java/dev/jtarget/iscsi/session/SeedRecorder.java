package dev.jtarget.iscsi.session;

import dev.jtarget.config.PortalConfig;
import dev.jtarget.iscsi.login.TargetLimits;
import dev.jtarget.iscsi.pdu.CodecSettings;
import dev.jtarget.iscsi.pdu.PduEncoder;
import dev.jtarget.iscsi.pdu.PduFrameDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Records what real initiators send, for the fuzzer's {@link SeedCorpus}: serves {@link EmbeddedTarget}'s open target
 * on a loopback port through the real pipeline with a capture handler in front, and runs libiscsi's {@code iscsi-ls}
 * and QEMU's {@code qemu-io} against it. Each connection becomes one resource file, one PDU per line in hex. Not part
 * of the test run; to record again (needs libiscsi-bin, qemu-utils and qemu-block-extra), from target-server/ after
 * {@code mvn test-compile}:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat cp.txt) dev.jtarget.iscsi.session.SeedRecorder \
 *     src/test/resources/dev/jtarget/iscsi/session/seeds
 * </pre>
 * with {@code cp.txt} from {@code mvn dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test}.
 */
final class SeedRecorder {
    private SeedRecorder() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        List<ByteArrayOutputStream> connections = new ArrayList<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (EmbeddedTarget target = new EmbeddedTarget()) {
            // Only the open target: the tools have no CHAP secret. The portal is the port we listen on, which
            // SendTargets advertises.
            ServerContext context = new ServerContext(List.of(target.context.targets().getFirst()),
                    Map.of(EmbeddedTarget.TARGET_NAME, target.context.deviceFor(EmbeddedTarget.TARGET_NAME)),
                    List.of(new PortalConfig("127.0.0.1", port)), new SessionRegistry(64), TargetLimits.DEFAULTS,
                    EmbeddedTarget.LOGIN_TIMEOUT, EmbeddedTarget.NOP_INTERVAL, EmbeddedTarget.NOP_TIMEOUT);
            Channel listener = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            ByteArrayOutputStream recorded = new ByteArrayOutputStream();
                            synchronized (connections) {
                                connections.add(recorded);
                            }
                            CodecSettings codec = new CodecSettings();
                            channel.pipeline().addLast(new Capture(recorded), new PduFrameDecoder(codec),
                                    new PduEncoder(codec), new IscsiConnection(context, codec));
                        }
                    }).bind("127.0.0.1", port).sync().channel();
            String portal = "iscsi://127.0.0.1:" + port;
            run("iscsi-ls", "-s", portal);
            save(out, "iscsi-ls", take(connections), "iscsi-ls -s " + portal);
            String write = "write -P 0x5a 0 8k";
            String read = "read -P 0x5a 0 8k";
            String lun = portal + "/" + EmbeddedTarget.TARGET_NAME + "/0";
            run("qemu-io", "-f", "raw", "-c", write, "-c", read, lun);
            save(out, "qemu-io", take(connections), "qemu-io -f raw -c '" + write + "' -c '" + read + "' " + lun);
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Copies every byte a client sends before the decoder sees it. */
    private static final class Capture extends ChannelInboundHandlerAdapter {
        private final ByteArrayOutputStream recorded;

        Capture(ByteArrayOutputStream recorded) {
            this.recorded = recorded;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws IOException {
            ByteBuf bytes = (ByteBuf) msg;
            synchronized (recorded) {
                bytes.getBytes(bytes.readerIndex(), recorded, bytes.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }
    }

    private static List<byte[]> take(List<ByteArrayOutputStream> connections) throws InterruptedException {
        Thread.sleep(500); // the tool has exited; let the last reads reach the capture
        synchronized (connections) {
            List<byte[]> taken = new ArrayList<>();
            for (ByteArrayOutputStream recorded : connections) {
                synchronized (recorded) {
                    taken.add(recorded.toByteArray());
                }
            }
            connections.clear();
            return taken;
        }
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).inheritIO().start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
    }

    private static void save(Path dir, String tool, List<byte[]> connections, String how) throws IOException {
        for (int i = 0; i < connections.size(); i++) {
            StringBuilder text = new StringBuilder("# What " + tool + " sent on connection " + (i + 1) + " of "
                    + connections.size() + ", one PDU per line, recorded by SeedRecorder running\n# " + how + "\n");
            for (byte[] pdu : splitPdus(connections.get(i))) {
                text.append(HexFormat.of().formatHex(pdu)).append('\n');
            }
            Files.writeString(dir.resolve(tool + "-" + (i + 1) + ".hex"), text);
        }
    }

    /** Splits a stream without digests at PDU boundaries (RFC 7143 §11.2). */
    private static List<byte[]> splitPdus(byte[] stream) {
        List<byte[]> pdus = new ArrayList<>();
        int at = 0;
        while (at + 48 <= stream.length) {
            int ahs = (stream[at + 4] & 0xff) * 4;
            int data = (stream[at + 5] & 0xff) << 16 | (stream[at + 6] & 0xff) << 8 | (stream[at + 7] & 0xff);
            int length = Math.min(48 + ahs + ((data + 3) & ~3), stream.length - at);
            byte[] pdu = new byte[length];
            System.arraycopy(stream, at, pdu, 0, length);
            pdus.add(pdu);
            at += length;
        }
        return pdus;
    }
}
