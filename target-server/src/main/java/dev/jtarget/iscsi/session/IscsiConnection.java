package dev.jtarget.iscsi.session;

import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.TargetConfig;
import dev.jtarget.iscsi.login.LoginContext;
import dev.jtarget.iscsi.login.LoginOutcome;
import dev.jtarget.iscsi.login.LoginRejectedException;
import dev.jtarget.iscsi.login.LoginStateMachine;
import dev.jtarget.iscsi.login.LoginStatus;
import dev.jtarget.iscsi.login.SessionParameters;
import dev.jtarget.iscsi.login.TextRequestHandler;
import dev.jtarget.iscsi.login.TextRequestRejectedException;
import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.CodecSettings;
import dev.jtarget.iscsi.pdu.DataDigestError;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.iscsi.pdu.Pdu;
import dev.jtarget.scsi.ItNexus;
import dev.jtarget.scsi.ScsiTargetDevice;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection: the login phase, then full feature phase dispatch by opcode, sequence number stamping of
 * everything we send, NOP-In keep-alives and the lifecycle of the session it carries.
 *
 * <p>Every method runs on the channel's event loop except {@link #closeReplaced()}. SCSI commands and their data
 * transfer live in {@link ScsiCommandFlow}, task management in {@link TaskManagementFunctions}.
 */
public final class IscsiConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(IscsiConnection.class);

    enum Phase { LOGIN, FULL_FEATURE, LOGGING_OUT, CLOSED }

    /** How StatSN is stamped on an outgoing PDU (RFC 7143 §4.2.2.2). */
    enum StatSnUse {
        /** Status-bearing PDUs take the next StatSN. */
        ADVANCE,
        /** R2T and unsolicited NOP-In report the current StatSN without consuming it. */
        CURRENT,
        /** Data-In without status: the field is reserved. */
        NONE
    }

    private final ServerContext server;
    private final CodecSettings codec;
    private final TextRequestHandler textRequests = new TextRequestHandler(this::initiatorRedeclaredReceiveLimit);
    /** The initiator's MaxRecvDataSegmentLength: it may declare a new one in a Text Request (RFC 7143 §13.12). */
    private int sendSegmentLimit;
    private Channel channel;
    private String remote = "?";
    /** The peer's IP address, for the connection caps and the login slowdown; null on transports without one. */
    private InetAddress remoteInetAddress;
    private boolean admittedByGuard;
    private Phase phase = Phase.LOGIN;
    private LoginStateMachine login;
    private ChallengePacing loginResponses;
    private SessionRegistry.Admission admission;
    private volatile IscsiSession session;
    private ScsiCommandFlow commands;
    private TaskManagementFunctions taskManagement;
    private int statSn;
    private boolean flushPending;
    /**
     * Inside a batch of PDUs read from the socket: answers completed meanwhile are flushed once, by
     * channelReadComplete, so a full queue of small commands costs one send() rather than one per answer.
     */
    private boolean readInProgress;
    /** A flush task is queued on the event loop for answers completed by other threads; see {@link #flushSoon()}. */
    private boolean flushScheduled;

    private long lastReceiveNanos;
    private boolean pingedSinceLastReceive;
    private int nextPingTag = 1;
    private ScheduledFuture<?> loginTimer;
    private ScheduledFuture<?> keepAliveTimer;

    public IscsiConnection(ServerContext server, CodecSettings codec) {
        this.server = server;
        this.codec = codec;
    }

    String remoteAddress() {
        return remote;
    }

    /** The parameters of the session this connection carries, or null before full feature phase. */
    SessionParameters sessionParameters() {
        IscsiSession current = session;
        return current == null ? null : current.parameters;
    }

    // ---------------------------------------------------------------- channel lifecycle

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        remote = String.valueOf(channel.remoteAddress());
        if (channel.remoteAddress() instanceof InetSocketAddress inet) {
            remoteInetAddress = inet.getAddress();
        }
        ConnectionGuard.Refusal refusal = server.guard().admit(remoteInetAddress, System.nanoTime());
        if (refusal != null) {
            if (refusal.report()) {
                log.warn("{}: connection refused: {}{}", remote, refusal.reason(), refusal.notReported() == 0 ? ""
                        : " (" + refusal.notReported() + " more refused since the last report)");
            }
            phase = Phase.CLOSED;
            channel.close();
            ctx.fireChannelActive();
            return;
        }
        admittedByGuard = true;
        lastReceiveNanos = now();
        login = new LoginStateMachine(new ConnectionLoginContext(), server.limits());
        loginResponses = new ChallengePacing(server.guard(), remoteInetAddress, channel);
        long timeoutMillis = server.loginTimeout().toMillis();
        loginTimer = channel.eventLoop().schedule(() -> {
            if (phase == Phase.LOGIN) {
                log.warn("{}: login not completed within {} ms; closing the connection", remote, timeoutMillis);
                channel.close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Phase before = phase;
        phase = Phase.CLOSED;
        cancelTimers();
        if (admittedByGuard) {
            server.guard().release(remoteInetAddress);
        }
        if (commands != null) {
            commands.connectionClosed();
        }
        if (session != null) {
            session.window.releaseAll();
            boolean stillOwner = server.registry().remove(session.tsih, this);
            if (stillOwner && session.device != null) {
                session.device.nexusLoggedOut(session.nexus);
            }
            log.info("{}: {} session TSIH {} of {} ended ({})", remote,
                    session.isDiscovery() ? "discovery" : "normal", session.tsih,
                    session.parameters.initiatorName(), before == Phase.LOGGING_OUT ? "logout" : "connection closed");
        } else if (admission != null) {
            server.registry().remove(admission.tsih(), this);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readInProgress = true;
        lastReceiveNanos = now();
        pingedSinceLastReceive = false;
        if (phase == Phase.CLOSED) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof DataDigestError error) {
            onDataDigestError(error);
            return;
        }
        Pdu pdu = (Pdu) msg;
        if (phase == Phase.LOGIN) {
            try {
                onLoginPhasePdu(pdu);
            } finally {
                pdu.release();
            }
        } else {
            onFullFeaturePdu(pdu);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readInProgress = false;
        flushIfPending();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            log.warn("{}: malformed PDU stream, closing the connection: {}", remote, cause.getMessage());
        } else if (cause instanceof java.io.IOException) {
            log.info("{}: connection error: {}", remote, cause.getMessage());
        } else {
            log.error("{}: unexpected error, closing the connection", remote, cause);
        }
        ctx.close();
    }

    /** Called (from any thread) when a newer login took this connection's session over. */
    void closeReplaced() {
        Channel c = channel;
        if (c != null) {
            c.close();
        }
    }

    /** The session in full feature phase, or null before it (and for a connection that never got there). */
    IscsiSession session() {
        return session;
    }

    /**
     * Called from any thread: aborts this session's tasks on the LUNs {@code affected} accepts, on behalf of another
     * I_T nexus (SAM-5 §5.6), on this connection's event loop, the only thread that may touch them. The future
     * completes, on that event loop, once every such task has ended.
     */
    CompletableFuture<Void> abortForOtherNexus(IntPredicate affected) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable abort = () -> {
            taskManagement.abortForOtherNexus(affected, () -> done.complete(null));
            flushIfPending();
        };
        try {
            if (channel.eventLoop().inEventLoop()) {
                abort.run(); // a session that shares the issuer's event loop
            } else {
                channel.eventLoop().execute(abort);
            }
        } catch (RejectedExecutionException e) {
            done.complete(null); // the event loop has shut down, and its tasks with it
        }
        return done;
    }

    /** Closes the connection now, without a logout exchange (server shutdown). */
    public void close() {
        closeReplaced();
    }

    private void cancelTimers() {
        if (loginResponses != null) {
            loginResponses.cancel();
        }
        if (loginTimer != null) {
            loginTimer.cancel(false);
        }
        if (keepAliveTimer != null) {
            keepAliveTimer.cancel(false);
        }
    }

    // ---------------------------------------------------------------- login phase

    private void onLoginPhasePdu(Pdu pdu) {
        if (pdu.opcode() != Opcode.LOGIN_REQUEST) {
            log.warn("{}: {} received before login completed; closing the connection (RFC 7143 §6.1)", remote,
                    Opcode.name(pdu.opcode()));
            phase = Phase.CLOSED; // whatever else arrived with it is discarded
            channel.close();
            return;
        }
        if (loginResponses.holding()) {
            log.warn("{}: Login Request sent before the answer to the previous one; closing the connection", remote);
            phase = Phase.CLOSED;
            channel.close();
            return;
        }
        LoginOutcome outcome = login.onLoginRequest(pdu);
        switch (outcome.kind()) {
            case CONTINUE -> loginResponses.send(outcome.response());
            case FAILED -> failLogin(outcome.response());
            case COMPLETE -> {
                channel.writeAndFlush(outcome.response());
                enterFullFeaturePhase();
            }
        }
    }

    /** Answers a failed login and closes the connection; nothing more is read from it. */
    private void failLogin(Pdu response) {
        phase = Phase.CLOSED;
        loginTimer.cancel(false);
        Bhs bhs = response.bhs();
        if (bhs.bytes()[36] == LoginStatus.AUTHENTICATION_FAILURE.statusClass()
                && bhs.bytes()[37] == LoginStatus.AUTHENTICATION_FAILURE.statusDetail()) {
            int failures = server.guard().authenticationFailed(remoteInetAddress);
            if (failures > 1) {
                log.warn("{}: {} failed authentications from this address lately", remote, failures);
            }
        }
        channel.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void enterFullFeaturePhase() {
        SessionParameters parameters = login.negotiated();
        if (admission.previous() != null) {
            parameters = admission.previous().withConnectionValuesOf(parameters);
        }
        sendSegmentLimit = parameters.initiatorMaxRecvDataSegmentLength();
        // Digests start with the first PDU after the final Login Response (RFC 7143 §13.1); the response above has
        // already passed the encoder, so switching now affects exactly the PDUs that follow, both ways.
        codec.setHeaderDigest(parameters.headerDigest());
        codec.setDataDigest(parameters.dataDigest());
        codec.setMaxRecvDataSegmentLength(parameters.targetMaxRecvDataSegmentLength());
        statSn = login.nextStatSn();
        CommandWindow window = new CommandWindow(login.expCmdSn(), server.limits().commandWindow());
        if (parameters.discovery()) {
            session = new IscsiSession(admission.tsih(), parameters, null, null, null, window, this);
        } else {
            TargetConfig target = server.targetNamed(parameters.targetName());
            ScsiTargetDevice device = server.deviceFor(parameters.targetName());
            ItNexus nexus = new ItNexus(parameters.initiatorName(), parameters.isid(), target.name(),
                    ServerContext.PORTAL_GROUP_TAG);
            session = new IscsiSession(admission.tsih(), parameters, target, device, nexus, window, this);
            if (admission.newSession()) {
                device.nexusLoggedIn(nexus);
            }
        }
        commands = new ScsiCommandFlow(this, session);
        taskManagement = new TaskManagementFunctions(this, session, commands, server.registry());
        phase = Phase.FULL_FEATURE;
        loginTimer.cancel(false);
        long tickMillis = Math.max(1000, server.nopInterval().toMillis() / 3);
        keepAliveTimer = channel.eventLoop().scheduleAtFixedRate(this::keepAlive, tickMillis, tickMillis,
                TimeUnit.MILLISECONDS);
        log.info("{}: {} session TSIH {} for {} -> {} (digests header={} data={}, MaxRecvDataSegmentLength {}/{},"
                        + " burst {}/{}, ImmediateData={}, InitialR2T={})", remote,
                parameters.discovery() ? "discovery" : "normal", session.tsih, parameters.initiatorName(),
                parameters.discovery() ? "-" : parameters.targetName(), parameters.headerDigest(),
                parameters.dataDigest(), parameters.initiatorMaxRecvDataSegmentLength(),
                parameters.targetMaxRecvDataSegmentLength(), parameters.firstBurstLength(),
                parameters.maxBurstLength(), parameters.immediateData(), parameters.initialR2T());
    }

    /** The session layer's side of login: which targets exist, where they are, and session admission. */
    private final class ConnectionLoginContext implements LoginContext {
        @Override
        public List<TargetConfig> targets() {
            return server.targets();
        }

        @Override
        public int targetPortalGroupTag() {
            return ServerContext.PORTAL_GROUP_TAG;
        }

        @Override
        public List<String> sendTargetsAddresses() {
            List<String> addresses = new ArrayList<>();
            for (PortalConfig portal : server.portals()) {
                String host = portal.host();
                if (isWildcard(host)) {
                    // never advertise 0.0.0.0: tell the initiator the address it reached us on
                    host = ((InetSocketAddress) channel.localAddress()).getAddress().getHostAddress();
                }
                int percent = host.indexOf('%');
                if (percent >= 0) {
                    host = host.substring(0, percent);
                }
                String hostPart = host.contains(":") ? "[" + host + "]" : host;
                addresses.add(hostPart + ":" + portal.port() + "," + targetPortalGroupTag());
            }
            return addresses;
        }

        @Override
        public String remoteAddress() {
            return remote;
        }

        @Override
        public int admit(SessionParameters parameters, int requestedTsih) throws LoginRejectedException {
            SessionRegistry.SessionIdentity identity = SessionRegistry.SessionIdentity.of(
                    parameters.initiatorName(), parameters.isid(),
                    parameters.discovery() ? null : parameters.targetName());
            if (parameters.discovery()) {
                // discovery sessions are never reinstated: each gets its own TSIH and identity
                identity = new SessionRegistry.SessionIdentity(identity.initiatorName(), parameters.isid(),
                        "discovery@" + System.identityHashCode(IscsiConnection.this));
            }
            admission = server.registry().admit(identity, requestedTsih, IscsiConnection.this);
            return admission.tsih();
        }
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.equals("0:0:0:0:0:0:0:0");
    }

    // ---------------------------------------------------------------- full feature phase

    private void onFullFeaturePdu(Pdu pdu) {
        int opcode = pdu.opcode();
        switch (opcode) {
            case Opcode.SCSI_DATA_OUT -> {
                try {
                    commands.onDataOut(pdu);
                } finally {
                    pdu.release();
                }
            }
            case Opcode.SCSI_COMMAND, Opcode.TASK_MANAGEMENT_REQUEST, Opcode.TEXT_REQUEST, Opcode.LOGOUT_REQUEST,
                 Opcode.NOP_OUT -> deliverOrdered(session.window.accept(pdu));
            case Opcode.LOGIN_REQUEST -> {
                log.warn("{}: Login Request in full feature phase; rejected", remote);
                reject(TargetPdus.REJECT_PROTOCOL_ERROR, pdu);
            }
            case Opcode.SNACK_REQUEST -> reject(TargetPdus.REJECT_PROTOCOL_ERROR, pdu); // ERL 0: no SNACK
            default -> {
                log.warn("{}: unknown opcode 0x{}; rejected", remote, Integer.toHexString(opcode));
                reject(TargetPdus.REJECT_COMMAND_NOT_SUPPORTED, pdu);
            }
        }
    }

    private void reject(int reason, Pdu pdu) {
        try {
            send(TargetPdus.reject(reason, pdu.bhs()), StatSnUse.ADVANCE);
        } finally {
            pdu.release();
        }
    }

    /** Handles requests the command window released, in CmdSN order, and releases them. */
    void deliverOrdered(List<Pdu> ready) {
        for (Pdu ordered : ready) {
            try {
                onOrderedRequest(ordered);
            } finally {
                ordered.release();
            }
        }
    }

    private void onOrderedRequest(Pdu pdu) {
        if (phase == Phase.LOGGING_OUT && pdu.opcode() != Opcode.NOP_OUT) {
            send(TargetPdus.reject(TargetPdus.REJECT_WAITING_FOR_LOGOUT, pdu.bhs()), StatSnUse.ADVANCE);
            return;
        }
        switch (pdu.opcode()) {
            case Opcode.SCSI_COMMAND -> {
                if (session.isDiscovery()) {
                    send(TargetPdus.reject(TargetPdus.REJECT_PROTOCOL_ERROR, pdu.bhs()), StatSnUse.ADVANCE);
                } else {
                    commands.onScsiCommand(pdu);
                }
            }
            case Opcode.TASK_MANAGEMENT_REQUEST -> {
                if (session.isDiscovery()) {
                    send(TargetPdus.reject(TargetPdus.REJECT_PROTOCOL_ERROR, pdu.bhs()), StatSnUse.ADVANCE);
                } else {
                    taskManagement.onRequest(pdu);
                }
            }
            case Opcode.TEXT_REQUEST -> onTextRequest(pdu);
            case Opcode.NOP_OUT -> onNopOut(pdu);
            case Opcode.LOGOUT_REQUEST -> onLogout(pdu);
            default -> throw new IllegalStateException("not an ordered request: " + pdu);
        }
    }

    private void onTextRequest(Pdu pdu) {
        try {
            send(textRequests.onTextRequest(pdu, session.parameters, new ConnectionLoginContext()), StatSnUse.ADVANCE);
        } catch (TextRequestRejectedException e) {
            log.warn("{}: Text Request rejected: {}", remote, e.getMessage());
            send(TargetPdus.reject(e.reason(), pdu.bhs()), StatSnUse.ADVANCE);
        }
    }

    private void initiatorRedeclaredReceiveLimit(int limit) {
        sendSegmentLimit = limit;
    }

    /** The largest data segment we may send (the initiator's declared MaxRecvDataSegmentLength). */
    int sendSegmentLimit() {
        return sendSegmentLimit;
    }

    private void onNopOut(Pdu pdu) {
        Bhs bhs = pdu.bhs();
        if (bhs.initiatorTaskTag() == Bhs.RESERVED_TAG) {
            return; // the initiator's answer to our ping; receiving it already refreshed the keep-alive clock
        }
        int echoLength = Math.min(pdu.data().readableBytes(), sendSegmentLimit);
        send(TargetPdus.nopIn(bhs.lun(), bhs.initiatorTaskTag(), Bhs.RESERVED_TAG,
                pdu.data().retainedSlice(pdu.data().readerIndex(), echoLength)), StatSnUse.ADVANCE);
    }

    private void onDataDigestError(DataDigestError error) {
        log.warn("{}: data digest error on {}; rejected", remote, error.bhs());
        if (phase == Phase.LOGIN) {
            channel.close();
            return;
        }
        send(TargetPdus.reject(TargetPdus.REJECT_DATA_DIGEST_ERROR, error.bhs()), StatSnUse.ADVANCE);
    }

    // ---------------------------------------------------------------- logout

    private void onLogout(Pdu pdu) {
        Bhs bhs = pdu.bhs();
        int reason = bhs.flags() & 0x7f;
        int itt = bhs.initiatorTaskTag();
        if (reason == 2) {
            // "remove the connection for recovery" needs ErrorRecoveryLevel 2 (RFC 7143 §11.14.1)
            send(TargetPdus.logoutResponse(itt, 2), StatSnUse.ADVANCE);
            return;
        }
        if (reason == 1 && bhs.connectionId() != session.parameters.connectionId()) {
            send(TargetPdus.logoutResponse(itt, 1), StatSnUse.ADVANCE); // CID not found
            return;
        }
        phase = Phase.LOGGING_OUT;
        // The response goes out once every task of the connection has finished (RFC 7143 §11.14).
        commands.terminateTasksAwaitingData();
        commands.whenIdle(() -> {
            send(TargetPdus.logoutResponse(itt, 0), StatSnUse.ADVANCE);
            flushAndClose();
        });
    }

    // ---------------------------------------------------------------- keep-alive

    private void keepAlive() {
        if (phase != Phase.FULL_FEATURE) {
            return;
        }
        if (commands != null && commands.anyExecuting()) {
            // The initiator waits for us (iPXE answers no ping meanwhile): silence only counts once we owe it nothing.
            lastReceiveNanos = now();
            pingedSinceLastReceive = false;
            return;
        }
        long silentNanos = now() - lastReceiveNanos;
        long interval = server.nopInterval().toNanos();
        // Only total silence counts: an initiator that never answers NOP-In (iPXE) but keeps sending commands is alive.
        if (silentNanos >= interval + server.nopTimeout().toNanos()) {
            log.warn("{}: nothing received for {} s despite NOP-In pings; closing the connection", remote,
                    TimeUnit.NANOSECONDS.toSeconds(silentNanos));
            channel.close();
        } else if (silentNanos >= interval && !pingedSinceLastReceive) {
            pingedSinceLastReceive = true;
            int tag = nextPingTag++;
            if (nextPingTag == Bhs.RESERVED_TAG) {
                nextPingTag = 1;
            }
            send(TargetPdus.nopIn(0, Bhs.RESERVED_TAG, tag, null), StatSnUse.CURRENT);
            flushIfPending();
        }
    }

    /** The event loop's clock, which also runs the keep-alive timer (and which tests can move on). */
    private long now() {
        return channel.eventLoop().ticker().nanoTime();
    }

    // ---------------------------------------------------------------- sending

    /** Stamps sequence numbers and queues the PDU; {@link #flushIfPending()} pushes the batch to the socket. */
    void send(Pdu pdu, StatSnUse statSnUse) {
        Bhs bhs = pdu.bhs();
        switch (statSnUse) {
            case ADVANCE -> bhs.setStatSn(statSn++);
            case CURRENT -> bhs.setStatSn(statSn);
            case NONE -> { }
        }
        bhs.setExpCmdSn(session.window.expCmdSn());
        bhs.setMaxCmdSn(session.window.maxCmdSn());
        channel.write(pdu, channel.voidPromise());
        flushPending = true;
    }

    /** Pushes queued PDUs to the socket, unless a read batch is under way whose end will do it. */
    void flushIfPending() {
        if (flushPending && !readInProgress) {
            flushPending = false;
            channel.flush();
        }
    }

    /**
     * For answers completed on another thread and handed to the event loop: one flush task serves every answer
     * queued before it runs, instead of a send() each.
     */
    void flushSoon() {
        if (!flushScheduled) {
            flushScheduled = true;
            channel.eventLoop().execute(() -> {
                flushScheduled = false;
                flushIfPending();
            });
        }
    }

    /**
     * Pushes what is queued to the socket, even inside a read batch, then closes: the last answer (a Logout Response,
     * the response to a TARGET COLD RESET) must leave before the connection does.
     */
    void flushAndClose() {
        flushPending = false;
        channel.flush();
        channel.close();
    }

    /** Called from any thread: {@link #flushAndClose()} on this connection's event loop (TARGET COLD RESET). */
    void flushAndCloseSoon() {
        try {
            if (channel.eventLoop().inEventLoop()) {
                flushAndClose();
            } else {
                channel.eventLoop().execute(this::flushAndClose);
            }
        } catch (RejectedExecutionException e) {
            channel.close(); // the event loop has shut down; nothing more can be sent
        }
    }

    boolean isOpen() {
        return phase != Phase.CLOSED;
    }

    Channel channel() {
        return channel;
    }
}
