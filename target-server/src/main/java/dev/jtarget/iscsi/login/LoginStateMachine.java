package dev.jtarget.iscsi.login;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.iscsi.pdu.Pdu;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The login phase of one connection (RFC 7143 §6): Login Requests in, Login Responses out, through the
 * SecurityNegotiation (CSG 0) and LoginOperationalNegotiation (CSG 1) stages into full feature phase (3).
 *
 * <p>Not thread-safe: one instance per connection, driven from its event loop.
 */
public final class LoginStateMachine {
    private static final Logger log = LoggerFactory.getLogger(LoginStateMachine.class);

    // Login Request/Response byte 1 (§11.12.1): T, C, CSG in bits 2-3, NSG in bits 0-1.
    static final int TRANSIT = 0x80;
    static final int CONTINUE = 0x40;
    static final int SECURITY_NEGOTIATION = 0;
    static final int OPERATIONAL_NEGOTIATION = 1;
    static final int FULL_FEATURE_PHASE = 3;
    /** The only iSCSI version there is (§11.12.4). */
    private static final int VERSION = 0x00;

    private enum Phase { AWAITING_FIRST_REQUEST, NEGOTIATING, COMPLETE, FAILED }

    /** What the target agreed to do about the initiator's T bit, applied with the last piece of the response. */
    private record Transition(boolean transit, int nextStage) {
        static final Transition STAY = new Transition(false, 0);
    }

    private final LoginContext context;
    private final TargetLimits limits;
    private final SecureRandom random;
    private final IncomingText incoming = new IncomingText();
    /** §6.2: a key may be negotiated once per login; offering it again is a protocol error. */
    private final Set<String> keysSeen = new HashSet<>();

    private Phase phase = Phase.AWAITING_FIRST_REQUEST;
    private Bhs first;
    private int stage;
    private int statSn;
    private int expCmdSn;

    private String initiatorNameForLog;
    private String targetNameForLog;
    private LoginIdentity identity;
    private SecurityNegotiator security;
    private OperationalNegotiator operational;
    private String initiatorAlias = "";
    private int declaredMaxRecvDataSegmentLength = TextKeys.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
    private boolean maxRecvDataSegmentLengthDeclared;

    private OutgoingText outgoing;
    private Transition pendingTransition = Transition.STAY;
    private SessionParameters negotiated;

    public LoginStateMachine(LoginContext context, TargetLimits limits) {
        this(context, limits, new SecureRandom());
    }

    /** For tests that need predictable CHAP identifiers and challenges. */
    LoginStateMachine(LoginContext context, TargetLimits limits, SecureRandom random) {
        this.context = context;
        this.limits = limits;
        this.random = random;
    }

    /**
     * Consumes one Login Request (the caller keeps ownership and releases it) and returns the response to send.
     * A PDU with another opcode is answered with "Invalid during login" (0x020b), so the caller may hand over
     * every PDU it receives before full feature phase. After FAILED the caller closes the connection; after
     * COMPLETE it enters full feature phase with {@link #negotiated()}.
     */
    public LoginOutcome onLoginRequest(Pdu request) {
        if (phase == Phase.COMPLETE || phase == Phase.FAILED) {
            throw new IllegalStateException("login already " + phase);
        }
        Bhs bhs = request.bhs();
        if (phase == Phase.AWAITING_FIRST_REQUEST) {
            start(bhs);
        }
        try {
            return handle(request);
        } catch (LoginRejectedException e) {
            return fail(bhs, e);
        }
    }

    /** The negotiated parameters, with the TSIH the session layer assigned; valid once login COMPLETEd. */
    public SessionParameters negotiated() {
        if (phase != Phase.COMPLETE) {
            throw new IllegalStateException("login is " + phase + ", not complete");
        }
        return negotiated;
    }

    /** The StatSN for the first response after login. */
    public int nextStatSn() {
        return statSn;
    }

    /**
     * The CmdSN the initiator's first command will carry: login requests are immediate, so the login's CmdSN is
     * not consumed (§11.12.8). For a connection joining an existing session the session's own CmdSN state rules.
     */
    public int expCmdSn() {
        return expCmdSn;
    }

    private void start(Bhs bhs) {
        first = bhs.copy();
        statSn = bhs.expStatSn();
        expCmdSn = bhs.cmdSn();
        stage = currentStage(bhs);
        phase = Phase.NEGOTIATING;
    }

    private LoginOutcome handle(Pdu request) throws LoginRejectedException {
        Bhs bhs = request.bhs();
        checkHeader(bhs);
        boolean continues = bhs.flagBit(CONTINUE);
        if (outgoing != null) {
            // The initiator fetches the rest of our response with empty requests (§6.1).
            if (request.data().isReadable() || continues) {
                throw rejection(LoginStatus.INITIATOR_ERROR, "text sent while the target's response is unfinished");
            }
            return sendNextPiece(bhs);
        }
        try {
            incoming.append(request.data());
        } catch (TextFormatException e) {
            throw rejection(LoginStatus.INITIATOR_ERROR, e.getMessage());
        }
        if (continues) {
            return new LoginOutcome(response(bhs, stage << 2, new byte[0], bhs.tsih()), LoginOutcome.Kind.CONTINUE);
        }
        List<KeyValue> answers = negotiate(decode(incoming.take()));
        pendingTransition = transition(bhs);
        outgoing = new OutgoingText(KeyValueCodec.encode(answers));
        return sendNextPiece(bhs);
    }

    /** §11.12: the header fields every Login Request of this login must agree on, and the stage rules (§6.3). */
    private void checkHeader(Bhs bhs) throws LoginRejectedException {
        if (bhs.opcode() != Opcode.LOGIN_REQUEST) {
            throw rejection(LoginStatus.INVALID_DURING_LOGIN, Opcode.name(bhs.opcode()) + " during login");
        }
        if (bhs.byte3() != VERSION) {
            throw rejection(LoginStatus.UNSUPPORTED_VERSION, "VersionMin " + bhs.byte3() + " is above 0");
        }
        if (bhs.byte2() != first.byte2() || bhs.byte3() != first.byte3() || bhs.isid() != first.isid()
                || bhs.tsih() != first.tsih() || bhs.connectionId() != first.connectionId()
                || bhs.initiatorTaskTag() != first.initiatorTaskTag()) {
            throw rejection(LoginStatus.INITIATOR_ERROR,
                    "version, ISID, TSIH, CID or ITT differs from the first Login Request");
        }
        boolean transit = bhs.flagBit(TRANSIT);
        if (transit && bhs.flagBit(CONTINUE)) {
            throw rejection(LoginStatus.INITIATOR_ERROR, "T and C both set");
        }
        int csg = currentStage(bhs);
        if (csg != stage || (csg != SECURITY_NEGOTIATION && csg != OPERATIONAL_NEGOTIATION)) {
            throw rejection(LoginStatus.INITIATOR_ERROR, "CSG " + csg + " where stage " + stage + " was expected");
        }
        int nsg = bhs.flags() & 0x03;
        boolean nsgValid = nsg == FULL_FEATURE_PHASE || (nsg == OPERATIONAL_NEGOTIATION && csg == SECURITY_NEGOTIATION);
        if (transit && !nsgValid) {
            throw rejection(LoginStatus.INITIATOR_ERROR, "transit from stage " + csg + " to stage " + nsg);
        }
    }

    private List<KeyValue> decode(byte[] text) throws LoginRejectedException {
        try {
            List<KeyValue> pairs = KeyValueCodec.decode(text);
            for (KeyValue pair : pairs) {
                if (!keysSeen.add(pair.key())) {
                    throw rejection(LoginStatus.INITIATOR_ERROR, pair.key() + " negotiated twice");
                }
            }
            return pairs;
        } catch (TextFormatException e) {
            throw rejection(LoginStatus.INITIATOR_ERROR, e.getMessage());
        }
    }

    /** Answers the keys of one complete request in the current stage. */
    private List<KeyValue> negotiate(List<KeyValue> pairs) throws LoginRejectedException {
        Map<String, String> keys = new LinkedHashMap<>();
        pairs.forEach(pair -> keys.put(pair.key(), pair.value()));
        List<KeyValue> answers = new ArrayList<>();
        boolean firstText = identity == null;
        if (firstText) {
            identify(keys, answers);
        }
        Map<String, String> securityKeys = new LinkedHashMap<>();
        Map<String, String> operationalKeys = new LinkedHashMap<>();
        for (KeyValue pair : pairs) {
            String key = pair.key();
            if (TextKeys.IDENTITY.contains(key)) {
                if (!firstText) {
                    throw rejection(LoginStatus.INITIATOR_ERROR, key + " after the first Login Request");
                }
            } else if (key.equals(TextKeys.INITIATOR_ALIAS)) {
                initiatorAlias = pair.value();
            } else if (TextKeys.SECURITY.contains(key)) {
                requireStage(SECURITY_NEGOTIATION, key);
                securityKeys.put(key, pair.value());
            } else if (TextKeys.OPERATIONAL.contains(key)) {
                requireStage(OPERATIONAL_NEGOTIATION, key);
                operationalKeys.put(key, pair.value());
            } else if (TextKeys.TARGET_DECLARED.contains(key)) {
                // Declarations only a target makes (§13.6-13.9) mean nothing from the initiator. Being declarative
                // they need no answer, and "Reject" could clash with our own declaration of the same key.
                continue;
            } else if (key.equals(TextKeys.SEND_TARGETS)) {
                // Full feature phase only (Appendix C).
                answers.add(new KeyValue(key, TextKeys.REJECT));
            } else {
                // Unknown keys, including X- and X# extension keys we do not implement (§6.2, §13.22).
                answers.add(new KeyValue(key, TextKeys.NOT_UNDERSTOOD));
            }
        }
        if (stage == SECURITY_NEGOTIATION) {
            security.negotiate(securityKeys, answers);
        } else {
            operational.negotiate(operationalKeys, answers);
            if (!maxRecvDataSegmentLengthDeclared) {
                // §13.12: declarative in each direction; the initiator assumes 8192 until we declare ours.
                declaredMaxRecvDataSegmentLength = limits.maxRecvDataSegmentLength();
                answers.add(new KeyValue(TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH,
                        Integer.toString(declaredMaxRecvDataSegmentLength)));
                maxRecvDataSegmentLengthDeclared = true;
            }
        }
        return answers;
    }

    /** Resolves who logs in to what from the first request, and starts the answer with our declarations. */
    private void identify(Map<String, String> keys, List<KeyValue> answers) throws LoginRejectedException {
        initiatorNameForLog = keys.get(TextKeys.INITIATOR_NAME);
        targetNameForLog = keys.get(TextKeys.TARGET_NAME);
        identity = LoginIdentity.resolve(keys, context.targets());
        security = new SecurityNegotiator(identity.chap(), identity.mutualChap(), random);
        // A login with TSIH 0 creates (or reinstates) a session: it is the leading connection (§13).
        operational = new OperationalNegotiator(limits, identity.sessionType(), first.tsih() == 0);
        if (stage == OPERATIONAL_NEGOTIATION && security.authenticationRequired()) {
            throw rejection(LoginStatus.AUTHENTICATION_FAILURE,
                    "initiator skipped security negotiation but the target requires CHAP");
        }
        if (identity.sessionType() == SessionType.NORMAL) {
            // §13.9: TargetPortalGroupTag goes in the response to the first request naming the target;
            // §13.6: a configured alias SHOULD be declared to a normal session.
            answers.add(new KeyValue(TextKeys.TARGET_PORTAL_GROUP_TAG,
                    Integer.toString(context.targetPortalGroupTag())));
            String alias = identity.target().orElseThrow().alias();
            if (alias != null && !alias.isEmpty()) {
                answers.add(new KeyValue(TextKeys.TARGET_ALIAS, alias));
            }
        }
    }

    /** §6.3: we leave the stage when the initiator asks (T=1) and the stage has nothing left to settle. */
    private Transition transition(Bhs bhs) throws LoginRejectedException {
        if (!bhs.flagBit(TRANSIT)) {
            return Transition.STAY;
        }
        boolean agree = stage != SECURITY_NEGOTIATION || security.mayTransit();
        return agree ? new Transition(true, bhs.flags() & 0x03) : Transition.STAY;
    }

    /** Sends the next piece of our response; the last piece carries the transition and may complete the login. */
    private LoginOutcome sendNextPiece(Bhs request) throws LoginRejectedException {
        byte[] piece = outgoing.next(TextKeys.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH);
        if (outgoing.hasMore()) {
            // §11.13.2: a response with C=1 must have T=0.
            return new LoginOutcome(response(request, CONTINUE | stage << 2, piece, request.tsih()),
                    LoginOutcome.Kind.CONTINUE);
        }
        outgoing = null;
        // The transition decided with the text applies only if this request, too, asks for it (§11.13.2: T may be 1
        // only when the request's T is 1).
        Transition transition = request.flagBit(TRANSIT) ? pendingTransition : Transition.STAY;
        if (!transition.transit()) {
            return new LoginOutcome(response(request, stage << 2, piece, request.tsih()), LoginOutcome.Kind.CONTINUE);
        }
        int flags = TRANSIT | stage << 2 | transition.nextStage();
        if (transition.nextStage() != FULL_FEATURE_PHASE) {
            Pdu response = response(request, flags, piece, request.tsih());
            stage = transition.nextStage();
            return new LoginOutcome(response, LoginOutcome.Kind.CONTINUE);
        }
        negotiated = admit();
        phase = Phase.COMPLETE;
        log.debug("Login from {} complete: initiator {} {} session{} TSIH {}", context.remoteAddress(),
                negotiated.initiatorName(), negotiated.sessionType(),
                negotiated.targetName().isEmpty() ? "" : " to " + negotiated.targetName(), negotiated.tsih());
        // §11.13.4: the TSIH assigned to a new session appears in the final response only.
        return new LoginOutcome(response(request, flags, piece, negotiated.tsih()), LoginOutcome.Kind.COMPLETE);
    }

    private SessionParameters admit() throws LoginRejectedException {
        SessionParameters parameters = operational.result(identity, initiatorAlias, first.isid(),
                first.connectionId(), declaredMaxRecvDataSegmentLength);
        int tsih = context.admit(parameters, first.tsih());
        return parameters.withTsih(tsih);
    }

    private LoginOutcome fail(Bhs request, LoginRejectedException e) {
        phase = Phase.FAILED;
        String message = "Login from {} rejected with status 0x{}: initiator {}, target {}: {}";
        Object[] arguments = {context.remoteAddress(), String.format("%02x%02x", e.statusClass(), e.statusDetail()),
                Objects.requireNonNullElse(initiatorNameForLog, "-"), Objects.requireNonNullElse(targetNameForLog, "-"),
                e.getMessage()};
        if (isSecurityFailure(e)) {
            log.warn(message, arguments);
        } else {
            log.info(message, arguments);
        }
        Bhs response = header(request, request.flags() & 0x0c, request.tsih());
        response.bytes()[36] = (byte) e.statusClass();
        response.bytes()[37] = (byte) e.statusDetail();
        return new LoginOutcome(new Pdu(response), LoginOutcome.Kind.FAILED);
    }

    /** Failed authentication and authorization are what an administrator watching for attacks wants to see. */
    private static boolean isSecurityFailure(LoginRejectedException e) {
        for (LoginStatus status : new LoginStatus[] {LoginStatus.AUTHENTICATION_FAILURE,
                LoginStatus.AUTHORIZATION_FAILURE}) {
            if (e.statusClass() == status.statusClass() && e.statusDetail() == status.statusDetail()) {
                return true;
            }
        }
        return false;
    }

    private Pdu response(Bhs request, int flags, byte[] text, int tsih) {
        Bhs response = header(request, flags, tsih);
        response.setDataSegmentLength(text.length);
        return new Pdu(response, text.length == 0 ? null : Unpooled.wrappedBuffer(text));
    }

    /** §11.13: a Login Response header with status Success; every response consumes one StatSN. */
    private Bhs header(Bhs request, int flags, int tsih) {
        Bhs response = new Bhs();
        response.setOpcode(Opcode.LOGIN_RESPONSE);
        response.setFlags(flags);
        response.setByte2(VERSION); // Version-max
        response.setByte3(VERSION); // Version-active
        response.setIsid(request.isid());
        response.setTsih(tsih);
        response.setInitiatorTaskTag(request.initiatorTaskTag());
        response.setStatSn(statSn++);
        response.setExpCmdSn(expCmdSn);
        response.setMaxCmdSn(expCmdSn + limits.commandWindow() - 1);
        return response;
    }

    private void requireStage(int required, String key) throws LoginRejectedException {
        if (stage != required) {
            throw rejection(LoginStatus.INITIATOR_ERROR, key + " is not allowed in stage " + stage);
        }
    }

    private static int currentStage(Bhs bhs) {
        return (bhs.flags() >>> 2) & 0x03;
    }

    private static LoginRejectedException rejection(LoginStatus status, String reason) {
        return new LoginRejectedException(status, reason);
    }
}
