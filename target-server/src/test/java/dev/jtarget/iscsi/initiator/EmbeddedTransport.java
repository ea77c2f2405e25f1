package dev.jtarget.iscsi.initiator;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A target pipeline in an {@link EmbeddedChannel}: bytes go in as inbound buffers, what the target writes comes out
 * of the outbound queue. Everything runs on the test thread; {@link #receive} runs the tasks SCSI completions posted
 * to the channel's event loop before it looks for output.
 *
 * <p>It keeps every buffer that crossed the channel, so a test can check afterwards that the target released all
 * it received and everything it wrote was freed once written ({@link #assertNoLeaks()}).
 */
public final class EmbeddedTransport implements PduTransport {
    private final EmbeddedChannel channel;
    private final UnpooledByteBufAllocator allocator;
    private final List<ByteBuf> inbound = new ArrayList<>();
    private final List<ByteBuf> outbound = new ArrayList<>();

    /** {@code allocator} must be the channel's: the buffers it hands out are counted for the leak check. */
    public EmbeddedTransport(EmbeddedChannel channel, UnpooledByteBufAllocator allocator) {
        this.channel = channel;
        this.allocator = allocator;
    }

    public EmbeddedChannel channel() {
        return channel;
    }

    @Override
    public void send(byte[] bytes) {
        if (!channel.isOpen()) {
            return;
        }
        ByteBuf buffer = Unpooled.wrappedBuffer(bytes.clone());
        inbound.add(buffer);
        channel.writeInbound(buffer);
    }

    @Override
    public byte[] receive(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            channel.runPendingTasks();
            byte[] bytes = drainOutbound();
            if (bytes.length > 0 || !channel.isOpen() || System.nanoTime() >= deadline) {
                return bytes;
            }
            try {
                Thread.sleep(1); // a completion from another thread may still be on its way to the event loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return bytes;
            }
        }
    }

    private byte[] drainOutbound() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object message; (message = channel.readOutbound()) != null; ) {
            if (!(message instanceof ByteBuf buffer)) {
                throw new AssertionError("the pipeline wrote something that is not bytes: " + message);
            }
            if (buffer.refCnt() < 1) {
                throw new AssertionError("the pipeline wrote a buffer that was already released");
            }
            byte[] bytes = new byte[buffer.readableBytes()];
            buffer.readBytes(bytes);
            out.writeBytes(bytes);
            outbound.add(buffer);
            buffer.release();
        }
        return out.toByteArray();
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    @Override
    public void close() {
        channel.close();
        channel.runPendingTasks();
        drainOutbound();
    }

    /**
     * After {@link #close()}: every buffer the target received and every one it wrote has been released, and the
     * channel's allocator has nothing outstanding.
     */
    public void assertNoLeaks() {
        for (ByteBuf buffer : inbound) {
            if (buffer.refCnt() != 0) {
                throw new AssertionError("a received buffer is still referenced " + buffer.refCnt() + " time(s)");
            }
        }
        for (ByteBuf buffer : outbound) {
            if (buffer.refCnt() != 0) {
                throw new AssertionError("memory behind a written buffer is still referenced " + buffer.refCnt()
                        + " time(s)");
            }
        }
        long inUse = allocator.metric().usedHeapMemory() + allocator.metric().usedDirectMemory();
        if (inUse != 0) {
            throw new AssertionError(inUse + " bytes allocated by the pipeline were never released");
        }
    }
}
