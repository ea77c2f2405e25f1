package dev.jtarget.iscsi.login;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.iscsi.pdu.Pdu;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Text Requests in full feature phase (RFC 7143 §6.2, §11.10, §11.11): SendTargets, and the few keys that may be
 * (re)declared after login. One instance per connection: it holds the state of the connection's text exchange,
 * of which an initiator may have only one outstanding at a time (§11.10).
 *
 * <p>A request whose text spans PDUs (C=1) is answered with empty responses carrying a Target Transfer Tag until the
 * last piece; a response longer than the initiator's MaxRecvDataSegmentLength goes out in pieces (C=1), each
 * fetched by an empty request echoing our Target Transfer Tag. A request with the reserved tag starts over.
 *
 * <p>Not thread-safe: driven from the connection's event loop.
 */
public final class TextRequestHandler {
    // Text Request/Response byte 1 (§11.10.1, §11.10.2)
    private static final int FINAL = 0x80;
    private static final int CONTINUE = 0x40;

    private final IntConsumer initiatorMaxRecvDataSegmentLengthDeclared;
    private final IncomingText incoming = new IncomingText();
    private OutgoingText outgoing;
    /** The tag the initiator must echo to continue the current exchange, or the reserved tag when none is open. */
    private int openTargetTransferTag = Bhs.RESERVED_TAG;
    private int openInitiatorTaskTag;
    private int lastTargetTransferTag;
    /** The initiator's MaxRecvDataSegmentLength if it redeclared it after login, else 0. */
    private int redeclaredMaxRecvDataSegmentLength;

    /**
     * @param initiatorMaxRecvDataSegmentLengthDeclared told the new value when the initiator redeclares its
     *                                                  MaxRecvDataSegmentLength (§13.12 allows it in full feature
     *                                                  phase); the session must then send no longer data segments
     */
    public TextRequestHandler(IntConsumer initiatorMaxRecvDataSegmentLengthDeclared) {
        this.initiatorMaxRecvDataSegmentLengthDeclared = initiatorMaxRecvDataSegmentLengthDeclared;
    }

    /**
     * Consumes one Text Request (the caller keeps ownership and releases it) and returns the Text Response, owned
     * by the caller, whose StatSN, ExpCmdSN and MaxCmdSN the session fills in.
     *
     * @throws TextRequestRejectedException when the request must be answered with a Reject PDU instead
     */
    public Pdu onTextRequest(Pdu request, SessionParameters session, LoginContext context) {
        Bhs bhs = request.bhs();
        if (bhs.opcode() != Opcode.TEXT_REQUEST) {
            throw new IllegalArgumentException("not a Text Request: " + bhs);
        }
        boolean continues = bhs.flagBit(CONTINUE);
        if (bhs.isFinal() && continues) {
            throw reject(TextRequestRejectedException.PROTOCOL_ERROR, "F and C both set");
        }
        if (bhs.targetTransferTag() == Bhs.RESERVED_TAG) {
            // §11.10.4: the reserved tag starts a new exchange and drops what remained of the previous one.
            incoming.clear();
            outgoing = null;
            openTargetTransferTag = Bhs.RESERVED_TAG;
        } else if (bhs.targetTransferTag() != openTargetTransferTag
                || bhs.initiatorTaskTag() != openInitiatorTaskTag) {
            throw reject(TextRequestRejectedException.INVALID_PDU_FIELD, "no text exchange with that tag");
        }
        openInitiatorTaskTag = bhs.initiatorTaskTag();
        if (outgoing != null) {
            if (request.data().isReadable() || continues) {
                throw reject(TextRequestRejectedException.PROTOCOL_ERROR,
                        "text sent while the target's response is unfinished");
            }
            return nextPiece(bhs, session);
        }
        try {
            incoming.append(request.data());
        } catch (TextFormatException e) {
            throw reject(TextRequestRejectedException.PROTOCOL_ERROR, e.getMessage());
        }
        if (continues) {
            return response(bhs, 0, new byte[0], openExchange());
        }
        List<KeyValue> pairs;
        try {
            pairs = KeyValueCodec.decode(incoming.take());
        } catch (TextFormatException e) {
            throw reject(TextRequestRejectedException.PROTOCOL_ERROR, e.getMessage());
        }
        outgoing = new OutgoingText(KeyValueCodec.encode(answer(pairs, session, context)));
        return nextPiece(bhs, session);
    }

    private List<KeyValue> answer(List<KeyValue> pairs, SessionParameters session, LoginContext context) {
        List<KeyValue> answers = new ArrayList<>();
        for (KeyValue pair : pairs) {
            String key = pair.key();
            if (key.equals(TextKeys.SEND_TARGETS)) {
                SendTargets.answer(pair.value(), session, context, answers);
            } else if (key.equals(TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH)) {
                redeclareMaxRecvDataSegmentLength(pair.value(), answers);
            } else if (key.equals(TextKeys.INITIATOR_ALIAS)) {
                // Declarative and usable in any phase (§13.7); nothing depends on it after login.
                continue;
            } else if (TextKeys.SECURITY.contains(key) || TextKeys.OPERATIONAL.contains(key)
                    || TextKeys.IDENTITY.contains(key) || TextKeys.TARGET_DECLARED.contains(key)) {
                // Keys of the login phase (IO/LO in §13), or ones only a target may declare.
                answers.add(new KeyValue(key, TextKeys.REJECT));
            } else {
                answers.add(new KeyValue(key, TextKeys.NOT_UNDERSTOOD));
            }
        }
        return answers;
    }

    /** §13.12: MaxRecvDataSegmentLength is declarative and may be declared anew in full feature phase. */
    private void redeclareMaxRecvDataSegmentLength(String value, List<KeyValue> answers) {
        long declared = NumericalValue.parseInRange(value, 512, 0xffffff);
        if (declared < 0) {
            answers.add(new KeyValue(TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH, TextKeys.REJECT));
            return;
        }
        redeclaredMaxRecvDataSegmentLength = (int) declared;
        initiatorMaxRecvDataSegmentLengthDeclared.accept(redeclaredMaxRecvDataSegmentLength);
    }

    private Pdu nextPiece(Bhs request, SessionParameters session) {
        int maxLength = redeclaredMaxRecvDataSegmentLength != 0
                ? redeclaredMaxRecvDataSegmentLength : session.initiatorMaxRecvDataSegmentLength();
        byte[] piece = outgoing.next(maxLength);
        if (outgoing.hasMore()) {
            return response(request, CONTINUE, piece, openExchange());
        }
        outgoing = null;
        if (!request.isFinal()) {
            // §11.11.1: F=1 may answer only a request with F=1; the initiator has more to say in this exchange.
            return response(request, 0, piece, openExchange());
        }
        openTargetTransferTag = Bhs.RESERVED_TAG;
        return response(request, FINAL, piece, Bhs.RESERVED_TAG);
    }

    /** A fresh non-reserved Target Transfer Tag (§11.11.4) for the initiator to continue the exchange with. */
    private int openExchange() {
        lastTargetTransferTag++;
        if (lastTargetTransferTag == Bhs.RESERVED_TAG) {
            lastTargetTransferTag = 0;
        }
        openTargetTransferTag = lastTargetTransferTag;
        return openTargetTransferTag;
    }

    private static Pdu response(Bhs request, int flags, byte[] text, int targetTransferTag) {
        Bhs response = new Bhs();
        response.setOpcode(Opcode.TEXT_RESPONSE);
        response.setFlags(flags);
        response.setLun(request.lun());
        response.setInitiatorTaskTag(request.initiatorTaskTag());
        response.setTargetTransferTag(targetTransferTag);
        response.setDataSegmentLength(text.length);
        return new Pdu(response, text.length == 0 ? null : Unpooled.wrappedBuffer(text));
    }

    private static TextRequestRejectedException reject(int reason, String message) {
        return new TextRequestRejectedException(reason, message);
    }
}
