package dev.jtarget.iscsi.session;

import dev.jtarget.iscsi.pdu.Pdu;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the Login Responses of one connection, holding back those that carry a CHAP challenge when authentication
 * failed from the same address lately ({@link ConnectionGuard#challengeDelay}). Holding back the challenge, not
 * the verdict, is what slows guessing: every attempt needs a fresh challenge, and an initiator cannot tell a
 * failure early by a missing answer. Initiators that do not use CHAP are never delayed.
 *
 * <p>Used only on the connection's event loop.
 */
final class ChallengePacing {
    private static final Logger log = LoggerFactory.getLogger(ChallengePacing.class);
    private static final byte[] CHALLENGE_KEY = "CHAP_C=".getBytes(StandardCharsets.US_ASCII);

    private final ConnectionGuard guard;
    private final InetAddress address;
    private final Channel channel;
    private ScheduledFuture<?> timer;
    private Pdu held;

    ChallengePacing(ConnectionGuard guard, InetAddress address, Channel channel) {
        this.guard = guard;
        this.address = address;
        this.channel = channel;
    }

    /** True while a response is held back: the initiator must wait for it before it sends anything else. */
    boolean holding() {
        return held != null;
    }

    void send(Pdu response) {
        Duration delay = carriesChallenge(response) ? guard.challengeDelay(address) : Duration.ZERO;
        if (delay.isZero()) {
            channel.writeAndFlush(response);
            return;
        }
        log.warn("{}: authentication failed from this address lately; CHAP challenge held back {} ms",
                channel.remoteAddress(), delay.toMillis());
        held = response;
        timer = channel.eventLoop().schedule(() -> {
            held = null;
            channel.writeAndFlush(response);
        }, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The connection is closing: a response still held back is dropped. */
    void cancel() {
        if (timer != null && timer.cancel(false)) {
            held.release();
            held = null;
        }
    }

    /** Whether the response's text has a CHAP_C key (RFC 7143 §12.1.3): key=value pairs, each ending in NUL. */
    private static boolean carriesChallenge(Pdu response) {
        ByteBuf text = response.data();
        int end = text.writerIndex();
        for (int at = text.readerIndex(); at < end; ) {
            if (end - at >= CHALLENGE_KEY.length && startsWithKey(text, at)) {
                return true;
            }
            int nul = text.indexOf(at, end, (byte) 0);
            if (nul < 0) {
                return false;
            }
            at = nul + 1;
        }
        return false;
    }

    private static boolean startsWithKey(ByteBuf text, int at) {
        for (int i = 0; i < CHALLENGE_KEY.length; i++) {
            if (text.getByte(at + i) != CHALLENGE_KEY[i]) {
                return false;
            }
        }
        return true;
    }
}
