package dev.jtarget.iscsi.initiator;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal iSCSI initiator for tests, written from RFC 7143 independently of the target's code: it builds request
 * PDUs with the session's numbering (ITT, CmdSN, ExpStatSN), sends them over a {@link PduTransport} and parses
 * what comes back with {@link ResponseParser}, which checks every response is well formed.
 *
 * <p>Low-level builders ({@link #command}, {@link #dataOut}, {@link #nopOut}, ...) return the PDU unsent, so a test
 * can change a field first; {@link #read}, {@link #write} and friends run whole commands the way a real initiator
 * does (immediate data, unsolicited Data-Out and R2T-solicited bursts as negotiated).
 */
public final class TestInitiator implements AutoCloseable {
    public static final String NAME = "iqn.2026-01.dev.jtarget.test:initiator";
    public static final int FLAG_FINAL = 0x80;
    public static final int FLAG_READ = 0x40;
    public static final int FLAG_WRITE = 0x20;
    private static final int LUN_0 = 0;
    private static final int TASK_ATTRIBUTE_SIMPLE = 1;
    private static final int LOGIN_TRANSIT = 0x80;
    private static final Duration RESPONSE_WAIT = Duration.ofSeconds(10);

    private final PduTransport transport;
    private final ResponseParser parser = new ResponseParser();
    private final long isid;
    private final int blockSize;
    private final Map<String, String> negotiated = new LinkedHashMap<>();
    private int nextItt = 1;
    private int cmdSn = 1;
    private int expStatSn;
    private int dataOutSegmentLimit = Integer.MAX_VALUE;
    private boolean answerTargetPings = true;
    private int targetPingsIgnored;

    public TestInitiator(PduTransport transport, long isid, int blockSize) {
        this.transport = transport;
        this.isid = isid;
        this.blockSize = blockSize;
    }

    public PduTransport transport() {
        return transport;
    }

    // ---------------------------------------------------------------- login

    /**
     * Logs in to {@code targetName} in one operational-stage request straight to full feature phase. {@code keys}
     * ("Key=Value") replace or add to the defaults. Returns the final Login Response, successful or not.
     */
    public ResponsePdu login(String targetName, String... keys) {
        Map<String, String> offer = identity("Normal", targetName);
        offer.putAll(operationalDefaults());
        put(offer, keys);
        return operationalStage(nextItt++, offer);
    }

    /**
     * Logs in the way initiators that offer no authentication do (iPXE among them): a security stage with
     * AuthMethod=None, then the operational stage with the defaults replaced or extended by {@code keys}. Returns
     * the first failing Login Response, or the final one.
     */
    public ResponsePdu loginThroughSecurityStage(String targetName, String... keys) {
        int itt = nextItt++;
        Map<String, String> first = identity("Normal", targetName);
        first.put("AuthMethod", "None");
        ResponsePdu response = loginExchange(itt, 0, 1, true, first);
        if (response.loginStatus() != 0) {
            return response;
        }
        Map<String, String> offer = operationalDefaults();
        put(offer, keys);
        return operationalStage(itt, offer);
    }

    /** A discovery session (SessionType=Discovery, no target). */
    public ResponsePdu loginDiscovery() {
        Map<String, String> offer = identity("Discovery", null);
        offer.put("HeaderDigest", "None");
        offer.put("DataDigest", "None");
        return operationalStage(nextItt++, offer);
    }

    /**
     * Logs in with one-way CHAP (RFC 7143 §12.1.3): AuthMethod, CHAP_A, then CHAP_N/CHAP_R computed from
     * {@code secret}, then the operational stage. Returns the first failing Login Response, or the final one.
     */
    public ResponsePdu loginWithChap(String targetName, String user, String secret) {
        int itt = nextItt++;
        Map<String, String> first = identity("Normal", targetName);
        first.put("AuthMethod", "CHAP");
        ResponsePdu response = loginExchange(itt, 0, 1, false, first);
        if (response.loginStatus() != 0) {
            return response;
        }
        response = loginExchange(itt, 0, 1, false, Map.of("CHAP_A", "5"));
        if (response.loginStatus() != 0) {
            return response;
        }
        Map<String, String> challenge = response.textKeys();
        int identifier = Integer.parseInt(challenge.get("CHAP_I"));
        byte[] challengeBytes = HexFormat.of().parseHex(challenge.get("CHAP_C").substring(2));
        Map<String, String> answer = new LinkedHashMap<>();
        answer.put("CHAP_N", user);
        answer.put("CHAP_R", "0x" + HexFormat.of().formatHex(chapResponse(identifier, secret, challengeBytes)));
        response = loginExchange(itt, 0, 1, true, answer);
        if (response.loginStatus() != 0) {
            return response;
        }
        return operationalStage(itt, operationalDefaults());
    }

    private static byte[] chapResponse(int identifier, String secret, byte[] challenge) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update((byte) identifier);
            md5.update(secret.getBytes(StandardCharsets.UTF_8));
            md5.update(challenge);
            return md5.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, String> identity(String sessionType, String targetName) {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", NAME);
        keys.put("SessionType", sessionType);
        if (targetName != null) {
            keys.put("TargetName", targetName);
        }
        return keys;
    }

    private static Map<String, String> operationalDefaults() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("HeaderDigest", "None");
        keys.put("DataDigest", "None");
        keys.put("MaxRecvDataSegmentLength", "262144");
        keys.put("ImmediateData", "Yes");
        keys.put("InitialR2T", "No");
        keys.put("FirstBurstLength", "65536");
        keys.put("MaxBurstLength", "262144");
        keys.put("MaxOutstandingR2T", "1");
        keys.put("ErrorRecoveryLevel", "0");
        return keys;
    }

    private static void put(Map<String, String> keys, String... pairs) {
        for (String pair : pairs) {
            int equals = pair.indexOf('=');
            keys.put(pair.substring(0, equals), pair.substring(equals + 1));
        }
    }

    private ResponsePdu operationalStage(int itt, Map<String, String> keys) {
        ResponsePdu response = loginExchange(itt, 1, 3, true, keys);
        if (response.loginStatus() == 0 && response.entersFullFeaturePhase()) {
            negotiated.putAll(response.textKeys());
            parser.setMaxDataSegmentLength(Integer.parseInt(
                    keys.getOrDefault("MaxRecvDataSegmentLength", "8192")));
        }
        return response;
    }

    private ResponsePdu loginExchange(int itt, int csg, int nsg, boolean transit, Map<String, String> keys) {
        send(loginRequest(itt, csg, nsg, transit, keys));
        ResponsePdu response = receive();
        if (!response.is(Opcode.LOGIN_RESPONSE)) {
            throw new AssertionError("expected a Login Response, got " + response);
        }
        return response;
    }

    /** A Login Request of stage {@code csg}, asking to go to {@code nsg} when {@code transit}; unsent. */
    public RequestPdu loginRequest(int itt, int csg, int nsg, boolean transit, Map<String, String> keys) {
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.LOGIN_REQUEST);
        bhs.setImmediate(true);
        bhs.setFlags((transit ? LOGIN_TRANSIT | nsg : 0) | csg << 2);
        bhs.setIsid(isid);
        bhs.setInitiatorTaskTag(itt);
        bhs.setConnectionId(1);
        bhs.setCmdSn(cmdSn);
        bhs.setExpStatSn(expStatSn);
        return new RequestPdu(bhs, text(keys));
    }

    private static byte[] text(Map<String, String> keys) {
        StringBuilder text = new StringBuilder();
        keys.forEach((key, value) -> text.append(key).append('=').append(value).append('\0'));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A negotiated value from the final Login Response. */
    public String negotiated(String key) {
        return negotiated.get(key);
    }

    private int negotiatedInt(String key, int otherwise) {
        String value = negotiated.get(key);
        return value == null ? otherwise : Integer.parseInt(value);
    }

    /** Caps the Data-Out segments {@link #write} sends below the target's MaxRecvDataSegmentLength. */
    public void setDataOutSegmentLimit(int bytes) {
        this.dataOutSegmentLimit = bytes;
    }

    /**
     * Whether target pings (NOP-In with a Target Transfer Tag) that arrive while a command runs are answered, as RFC
     * 7143 §11.18 asks, or ignored, as iPXE does.
     */
    public void setAnswerTargetPings(boolean answer) {
        this.answerTargetPings = answer;
    }

    /** Target pings left unanswered so far (see {@link #setAnswerTargetPings}). */
    public int targetPingsIgnored() {
        return targetPingsIgnored;
    }

    // ---------------------------------------------------------------- request builders (unsent)

    /** A SCSI Command to LUN 0 with the next ITT and CmdSN; {@code flags} are F, R and W. */
    public RequestPdu command(byte[] cdb, int flags, int expectedLength, byte[] immediateData) {
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.SCSI_COMMAND);
        bhs.setFlags(flags | TASK_ATTRIBUTE_SIMPLE);
        bhs.setLun(LUN_0);
        bhs.setInitiatorTaskTag(nextItt++);
        bhs.setInt(20, expectedLength);
        bhs.setCmdSn(cmdSn++);
        bhs.setExpStatSn(expStatSn);
        System.arraycopy(cdb, 0, bhs.bytes(), 32, cdb.length);
        return new RequestPdu(bhs, immediateData);
    }

    /**
     * A SCSI Command with an explicit CmdSN, for tests of command numbering: it does not advance this initiator's
     * own CmdSN.
     */
    public RequestPdu commandWithCmdSn(byte[] cdb, int explicitCmdSn) {
        RequestPdu pdu = command(cdb, FLAG_FINAL, 0, new byte[0]);
        cmdSn--;
        pdu.bhs().setCmdSn(explicitCmdSn);
        return pdu;
    }

    /** A SCSI Command with the I bit: it carries the next CmdSN without consuming it (RFC 7143 §3.2.2.1). */
    public RequestPdu immediateCommand(byte[] cdb, int flags, int expectedLength, byte[] immediateData) {
        RequestPdu pdu = command(cdb, flags, expectedLength, immediateData);
        cmdSn--;
        pdu.bhs().setImmediate(true);
        return pdu;
    }

    /** The CmdSN the next non-immediate request will carry. */
    public int nextCmdSn() {
        return cmdSn;
    }

    public RequestPdu dataOut(int itt, int ttt, int dataSn, int bufferOffset, byte[] data, boolean last) {
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.SCSI_DATA_OUT);
        bhs.setFinal(last);
        bhs.setLun(LUN_0);
        bhs.setInitiatorTaskTag(itt);
        bhs.setTargetTransferTag(ttt);
        bhs.setExpStatSn(expStatSn);
        bhs.setDataSn(dataSn);
        bhs.setBufferOffset(bufferOffset);
        return new RequestPdu(bhs, data);
    }

    /** An immediate ping (ITT assigned, TTT reserved) whose data the target echoes. */
    public RequestPdu nopOut(byte[] pingData) {
        Bhs bhs = Bhs.forOpcode(Opcode.NOP_OUT);
        bhs.setImmediate(true);
        bhs.setInitiatorTaskTag(nextItt++);
        bhs.setTargetTransferTag(Bhs.RESERVED_TAG);
        bhs.setCmdSn(cmdSn);
        bhs.setExpStatSn(expStatSn);
        return new RequestPdu(bhs, pingData);
    }

    /** An immediate Task Management Function Request (RFC 7143 §11.5). */
    public RequestPdu taskManagement(int function, int referencedItt, int referencedCmdSn) {
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.TASK_MANAGEMENT_REQUEST);
        bhs.setImmediate(true);
        bhs.setFlags(FLAG_FINAL | function);
        bhs.setLun(LUN_0);
        bhs.setInitiatorTaskTag(nextItt++);
        bhs.setTargetTransferTag(referencedItt);
        bhs.setCmdSn(cmdSn);
        bhs.setExpStatSn(expStatSn);
        bhs.setInt(32, referencedCmdSn);
        return new RequestPdu(bhs, new byte[0]);
    }

    /** An immediate Logout Request for this connection's session or connection (reason 0 or 1). */
    public RequestPdu logoutRequest(int reason) {
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.LOGOUT_REQUEST);
        bhs.setImmediate(true);
        bhs.setFlags(FLAG_FINAL | reason);
        bhs.setInitiatorTaskTag(nextItt++);
        bhs.setConnectionId(1);
        bhs.setCmdSn(cmdSn);
        bhs.setExpStatSn(expStatSn);
        return new RequestPdu(bhs, new byte[0]);
    }

    /** A Text Request starting a new exchange (TTT reserved) with the given "Key=Value" pairs. */
    public RequestPdu textRequest(String... pairs) {
        Map<String, String> keys = new LinkedHashMap<>();
        put(keys, pairs);
        Bhs bhs = Bhs.forOpcode(Opcode.TEXT_REQUEST);
        bhs.setInitiatorTaskTag(nextItt++);
        bhs.setTargetTransferTag(Bhs.RESERVED_TAG);
        bhs.setCmdSn(cmdSn++);
        bhs.setExpStatSn(expStatSn);
        return new RequestPdu(bhs, text(keys));
    }

    // ---------------------------------------------------------------- sending and receiving

    public void send(RequestPdu pdu) {
        transport.send(pdu.wire(parser.headerDigest(), parser.dataDigest()));
    }

    /** The next PDU from the target; fails the test if none arrives in time. */
    public ResponsePdu receive() {
        ResponsePdu pdu = poll(RESPONSE_WAIT);
        if (pdu == null) {
            throw new AssertionError(transport.isClosed() ? "the target closed the connection"
                    : "no response within " + RESPONSE_WAIT.toSeconds() + " s");
        }
        return pdu;
    }

    /** The next PDU from the target, or null if none arrives within {@code wait}. */
    public ResponsePdu poll(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            ResponsePdu pdu = parser.next();
            if (pdu != null) {
                noteStatSn(pdu);
                return pdu;
            }
            // Bytes the target wrote before it closed the connection are still delivered.
            boolean closed = transport.isClosed();
            long left = closed ? 0 : Math.max(0, deadline - System.nanoTime());
            byte[] bytes = transport.receive(Duration.ofNanos(left));
            parser.feed(bytes);
            if (bytes.length == 0 && (closed || System.nanoTime() >= deadline)) {
                pdu = parser.next();
                if (pdu != null) {
                    noteStatSn(pdu);
                }
                return pdu;
            }
        }
    }

    /** Every PDU the target has sent that has not been received yet, without waiting for more. */
    public List<ResponsePdu> drain() {
        List<ResponsePdu> pdus = new ArrayList<>();
        for (ResponsePdu pdu; (pdu = poll(Duration.ZERO)) != null; ) {
            pdus.add(pdu);
        }
        return pdus;
    }

    /** Waits until the target closes the connection and returns what it sent before; fails if it stays open. */
    public List<ResponsePdu> awaitClose(Duration wait) {
        List<ResponsePdu> pdus = new ArrayList<>();
        long deadline = System.nanoTime() + wait.toNanos();
        while (!transport.isClosed()) {
            long left = deadline - System.nanoTime();
            if (left < 0) {
                throw new AssertionError("the target kept the connection open for " + wait.toMillis() + " ms");
            }
            ResponsePdu pdu = poll(Duration.ofNanos(Math.min(left, Duration.ofMillis(100).toNanos())));
            if (pdu != null) {
                pdus.add(pdu);
            }
        }
        pdus.addAll(drain());
        return pdus;
    }

    /** ExpStatSN acknowledges every status the target sent (RFC 7143 §4.2.2.2). */
    private void noteStatSn(ResponsePdu pdu) {
        boolean carriesStatSn = switch (pdu.opcode()) {
            case Opcode.SCSI_DATA_IN -> pdu.hasStatus();
            case Opcode.R2T -> false;
            case Opcode.NOP_IN -> pdu.itt() != Bhs.RESERVED_TAG;
            default -> true;
        };
        if (carriesStatSn) {
            expStatSn = pdu.bhs().statSn() + 1;
        }
    }

    // ---------------------------------------------------------------- whole commands

    public ScsiResult testUnitReady() {
        RequestPdu command = command(Cdbs.testUnitReady(), FLAG_FINAL, 0, new byte[0]);
        send(command);
        return awaitStatus(command.bhs().initiatorTaskTag());
    }

    /** A new nexus starts with a unit attention (SAM-5 §5.14): TEST UNIT READY until it is reported. */
    public void clearUnitAttention() {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (testUnitReady().status() == ScsiResult.GOOD) {
                return;
            }
        }
        throw new AssertionError("TEST UNIT READY keeps failing");
    }

    public ScsiResult read(long lba, int blocks) {
        RequestPdu command = command(Cdbs.read10(lba, blocks), FLAG_FINAL | FLAG_READ, blocks * blockSize,
                new byte[0]);
        send(command);
        return awaitStatus(command.bhs().initiatorTaskTag());
    }

    /**
     * WRITE(10) of {@code data} at {@code lba} the way the negotiated keys allow: immediate data and unsolicited
     * Data-Out up to FirstBurstLength, the rest in answer to R2Ts.
     */
    public ScsiResult write(long lba, byte[] data) {
        int segmentLimit = Math.min(dataOutSegmentLimit, negotiatedInt("MaxRecvDataSegmentLength", 8192));
        int unsolicitedLimit = Math.min(data.length, negotiatedInt("FirstBurstLength", 65536));
        boolean immediateData = "Yes".equals(negotiated.get("ImmediateData"));
        boolean unsolicitedDataOut = "No".equals(negotiated.get("InitialR2T"));
        int immediateLength = immediateData ? Math.min(unsolicitedLimit, segmentLimit) : 0;
        boolean moreUnsolicited = unsolicitedDataOut && immediateLength < unsolicitedLimit;
        RequestPdu command = command(Cdbs.write10(lba, data.length / blockSize),
                (moreUnsolicited ? 0 : FLAG_FINAL) | FLAG_WRITE, data.length,
                Arrays.copyOf(data, immediateLength));
        int itt = command.bhs().initiatorTaskTag();
        send(command);
        if (moreUnsolicited) {
            sendBurst(itt, Bhs.RESERVED_TAG, data, immediateLength, unsolicitedLimit - immediateLength, segmentLimit);
        }
        List<ResponsePdu> pdus = new ArrayList<>();
        while (true) {
            ResponsePdu pdu = receiveFor(itt);
            pdus.add(pdu);
            if (pdu.is(Opcode.R2T)) {
                sendBurst(itt, pdu.bhs().targetTransferTag(), data, pdu.bhs().bufferOffset(),
                        pdu.bhs().residualCount(), segmentLimit);
            } else if (pdu.is(Opcode.SCSI_RESPONSE)) {
                return new ScsiResult(pdu.status(), pdu.sense(), new byte[0], pdu.bhs().flags(),
                        pdu.bhs().residualCount(), pdus);
            } else {
                throw new AssertionError("unexpected " + pdu + " during a write");
            }
        }
    }

    /** One sequence of Data-Out PDUs: DataSN from 0, F on the last (RFC 7143 §11.7). */
    public void sendBurst(int itt, int ttt, byte[] data, int offset, int length, int segmentLimit) {
        int dataSn = 0;
        for (int sent = 0; sent < length; ) {
            int piece = Math.min(segmentLimit, length - sent);
            byte[] segment = Arrays.copyOfRange(data, offset + sent, offset + sent + piece);
            sent += piece;
            send(dataOut(itt, ttt, dataSn++, offset + sent - piece, segment, sent == length));
        }
    }

    /** Collects Data-In until the status of task {@code itt} arrives. */
    public ScsiResult awaitStatus(int itt) {
        ByteArrayOutputStream dataIn = new ByteArrayOutputStream();
        List<ResponsePdu> pdus = new ArrayList<>();
        while (true) {
            ResponsePdu pdu = receiveFor(itt);
            pdus.add(pdu);
            if (pdu.is(Opcode.SCSI_DATA_IN)) {
                if (pdu.bhs().bufferOffset() != dataIn.size()) {
                    throw new AssertionError("Data-In at offset " + pdu.bhs().bufferOffset() + ", expected "
                            + dataIn.size());
                }
                dataIn.writeBytes(pdu.data());
                if (pdu.hasStatus()) {
                    return new ScsiResult(pdu.status(), new byte[0], dataIn.toByteArray(), pdu.bhs().flags(),
                            pdu.bhs().residualCount(), pdus);
                }
            } else if (pdu.is(Opcode.SCSI_RESPONSE)) {
                return new ScsiResult(pdu.status(), pdu.sense(), dataIn.toByteArray(), pdu.bhs().flags(),
                        pdu.bhs().residualCount(), pdus);
            } else {
                throw new AssertionError("unexpected " + pdu + " while waiting for status of ITT " + itt);
            }
        }
    }

    /**
     * The next PDU for task {@code itt}; answers or ignores target pings (NOP-In with a TTT) on the way (§11.18).
     * Public for tests that pace a command themselves.
     */
    public ResponsePdu receiveFor(int itt) {
        while (true) {
            ResponsePdu pdu = receive();
            if (pdu.is(Opcode.NOP_IN) && pdu.itt() == Bhs.RESERVED_TAG && !answerTargetPings) {
                if (pdu.bhs().targetTransferTag() != Bhs.RESERVED_TAG) {
                    targetPingsIgnored++;
                }
                continue;
            }
            if (pdu.is(Opcode.NOP_IN) && pdu.itt() == Bhs.RESERVED_TAG) {
                Bhs answer = Bhs.forOpcode(Opcode.NOP_OUT);
                answer.setImmediate(true);
                answer.setInitiatorTaskTag(Bhs.RESERVED_TAG);
                answer.setTargetTransferTag(pdu.bhs().targetTransferTag());
                answer.setCmdSn(cmdSn);
                answer.setExpStatSn(expStatSn);
                send(new RequestPdu(answer, new byte[0]));
                continue;
            }
            if (pdu.itt() != itt) {
                throw new AssertionError("expected a PDU for ITT " + itt + ", got " + pdu);
            }
            return pdu;
        }
    }

    /** Logs out (close the session) and returns the Logout Response. */
    public ResponsePdu logout() {
        RequestPdu request = logoutRequest(0);
        send(request);
        return receiveFor(request.bhs().initiatorTaskTag());
    }

    @Override
    public void close() {
        transport.close();
    }
}
