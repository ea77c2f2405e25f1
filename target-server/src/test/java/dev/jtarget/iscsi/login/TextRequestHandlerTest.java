package dev.jtarget.iscsi.login;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.iscsi.pdu.Pdu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import static dev.jtarget.iscsi.login.FakeLoginContext.CHAP_TARGET;
import static dev.jtarget.iscsi.login.FakeLoginContext.INITIATOR;
import static dev.jtarget.iscsi.login.FakeLoginContext.MUTUAL_TARGET;
import static dev.jtarget.iscsi.login.FakeLoginContext.OPEN_TARGET;
import static dev.jtarget.iscsi.login.FakeLoginContext.RESTRICTED_TARGET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextRequestHandlerTest {
    private static final int FINAL = 0x80;
    private static final int CONTINUE = 0x40;
    private static final int ITT = 0x55;
    private static final String PORTAL_4 = "TargetAddress=127.0.0.1:3260,1";
    private static final String PORTAL_6 = "TargetAddress=[::1]:3260,1";

    private final TestPdus pdus = new TestPdus();
    private final FakeLoginContext context = new FakeLoginContext();
    private final List<Integer> redeclared = new ArrayList<>();
    private final TextRequestHandler handler = new TextRequestHandler(redeclared::add);

    @AfterEach
    void releasePdus() {
        pdus.close();
    }

    @Test
    void sendTargetsAllInDiscoveryListsEveryAllowedTargetWithEveryPortal() {
        Pdu response = send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=All");
        assertEquals(List.of("TargetName=" + OPEN_TARGET, PORTAL_4, PORTAL_6, "TargetName=" + CHAP_TARGET, PORTAL_4,
                PORTAL_6, "TargetName=" + MUTUAL_TARGET, PORTAL_4, PORTAL_6), TestPdus.pairs(TestPdus.bytes(response)));
        Bhs bhs = response.bhs();
        assertEquals(Opcode.TEXT_RESPONSE, bhs.opcode());
        assertTrue(bhs.isFinal());
        assertFalse(bhs.flagBit(CONTINUE));
        assertEquals(ITT, bhs.initiatorTaskTag());
        assertEquals(Bhs.RESERVED_TAG, bhs.targetTransferTag());
        assertEquals(TestPdus.bytes(response).length, bhs.dataSegmentLength());
    }

    @Test
    void sendTargetsAllInNormalSessionIsRejected() {
        Pdu response = send(normal(OPEN_TARGET, 8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=All");
        assertEquals(List.of("SendTargets=Reject"), TestPdus.pairs(TestPdus.bytes(response)));
    }

    @Test
    void sendTargetsWithoutValueInNormalSessionListsTheCurrentTarget() {
        Pdu response = send(normal(CHAP_TARGET, 8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=");
        assertEquals(List.of("TargetName=" + CHAP_TARGET, PORTAL_4, PORTAL_6),
                TestPdus.pairs(TestPdus.bytes(response)));
    }

    @Test
    void sendTargetsWithoutValueInDiscoveryListsNothing() {
        Pdu response = send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=");
        assertEquals(0, response.bhs().dataSegmentLength());
    }

    @Test
    void sendTargetsForANamedTargetListsItOnlyIfAllowed() {
        assertEquals(List.of("TargetName=" + MUTUAL_TARGET, PORTAL_4, PORTAL_6), TestPdus.pairs(TestPdus.bytes(
                send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=" + MUTUAL_TARGET))));
        assertEquals(0, send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=" + RESTRICTED_TARGET)
                .bhs().dataSegmentLength());
        assertEquals(0, send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=iqn.2025-01.none:x")
                .bhs().dataSegmentLength());
    }

    @Test
    void loginOnlyKeysAreRejectedAndUnknownKeysNotUnderstood() {
        Pdu response = send(normal(OPEN_TARGET, 8192), FINAL, Bhs.RESERVED_TAG, "MaxBurstLength=4096",
                "AuthMethod=None", "TargetName=x", "TargetAlias=y", "X-com.example.Thing=1", "InitiatorAlias=me");
        assertEquals(List.of("MaxBurstLength=Reject", "AuthMethod=Reject", "TargetName=Reject", "TargetAlias=Reject",
                "X-com.example.Thing=NotUnderstood"), TestPdus.pairs(TestPdus.bytes(response)));
    }

    @Test
    void redeclaredMaxRecvDataSegmentLengthIsReportedAndBoundsLaterResponses() {
        useManyPortals();
        Pdu response = send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "MaxRecvDataSegmentLength=512");
        assertEquals(0, response.bhs().dataSegmentLength());
        assertEquals(List.of(512), redeclared);
        Pdu listing = send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=All");
        assertEquals(512, listing.bhs().dataSegmentLength());
        assertTrue(listing.bhs().flagBit(CONTINUE));
    }

    @Test
    void invalidMaxRecvDataSegmentLengthIsRejected() {
        Pdu response = send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "MaxRecvDataSegmentLength=100");
        assertEquals(List.of("MaxRecvDataSegmentLength=Reject"), TestPdus.pairs(TestPdus.bytes(response)));
        assertEquals(List.of(), redeclared);
    }

    @Test
    void longResponseContinuesOverSeveralPdusWithATargetTransferTag() {
        useManyPortals();
        SessionParameters session = discovery(512);
        Pdu first = send(session, FINAL, Bhs.RESERVED_TAG, "SendTargets=All");
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        whole.writeBytes(TestPdus.bytes(first));
        Pdu piece = first;
        int pieces = 1;
        while (!piece.bhs().isFinal()) {
            assertTrue(piece.bhs().flagBit(CONTINUE));
            assertEquals(512, piece.bhs().dataSegmentLength());
            int tag = piece.bhs().targetTransferTag();
            assertNotEquals(Bhs.RESERVED_TAG, tag);
            piece = send(session, FINAL, tag);
            whole.writeBytes(TestPdus.bytes(piece));
            pieces++;
        }
        assertFalse(piece.bhs().flagBit(CONTINUE));
        assertEquals(Bhs.RESERVED_TAG, piece.bhs().targetTransferTag());
        assertTrue(pieces >= 2);
        assertEquals(3 * 21, TestPdus.pairs(whole.toByteArray()).size());
        assertEquals(TestPdus.pairs(TestPdus.bytes(send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=All"))),
                TestPdus.pairs(whole.toByteArray()));
    }

    @Test
    void requestSpanningPdusIsJoinedBeforeItIsAnswered() {
        SessionParameters session = normal(OPEN_TARGET, 8192);
        Bhs head = new Bhs();
        head.setOpcode(Opcode.TEXT_REQUEST);
        head.setFlags(CONTINUE);
        head.setInitiatorTaskTag(ITT);
        head.setTargetTransferTag(Bhs.RESERVED_TAG);
        Pdu partial = pdus.keep(handler.onTextRequest(pdus.track(head, "SendTar".getBytes()), session, context));
        assertFalse(partial.bhs().isFinal());
        assertEquals(0, partial.bhs().dataSegmentLength());
        int tag = partial.bhs().targetTransferTag();
        assertNotEquals(Bhs.RESERVED_TAG, tag);

        Bhs tail = new Bhs();
        tail.setOpcode(Opcode.TEXT_REQUEST);
        tail.setFlags(FINAL);
        tail.setInitiatorTaskTag(ITT);
        tail.setTargetTransferTag(tag);
        Pdu response = pdus.keep(handler.onTextRequest(pdus.track(tail, "gets=\0".getBytes()), session, context));
        assertTrue(response.bhs().isFinal());
        assertEquals(List.of("TargetName=" + OPEN_TARGET, PORTAL_4, PORTAL_6),
                TestPdus.pairs(TestPdus.bytes(response)));
    }

    @Test
    void requestWithoutFinalBitGetsANonFinalResponse() {
        Pdu response = send(normal(OPEN_TARGET, 8192), 0, Bhs.RESERVED_TAG, "SendTargets=");
        assertFalse(response.bhs().isFinal());
        assertNotEquals(Bhs.RESERVED_TAG, response.bhs().targetTransferTag());
        assertEquals(3, TestPdus.pairs(TestPdus.bytes(response)).size());
    }

    @Test
    void unknownTargetTransferTagIsRejectedAsInvalidField() {
        TextRequestRejectedException e = assertThrows(TextRequestRejectedException.class,
                () -> send(discovery(8192), FINAL, 1234));
        assertEquals(TextRequestRejectedException.INVALID_PDU_FIELD, e.reason());
    }

    @Test
    void newRequestAbandonsAnUnfinishedResponse() {
        useManyPortals();
        SessionParameters session = discovery(512);
        Pdu first = send(session, FINAL, Bhs.RESERVED_TAG, "SendTargets=All");
        assertFalse(first.bhs().isFinal());
        Pdu fresh = send(session, FINAL, Bhs.RESERVED_TAG, "SendTargets=");
        assertTrue(fresh.bhs().isFinal());
        assertEquals(0, fresh.bhs().dataSegmentLength());
        assertThrows(TextRequestRejectedException.class, () -> send(session, FINAL, first.bhs().targetTransferTag()));
    }

    @Test
    void finalAndContinueTogetherIsAProtocolError() {
        TextRequestRejectedException e = assertThrows(TextRequestRejectedException.class,
                () -> send(discovery(8192), FINAL | CONTINUE, Bhs.RESERVED_TAG, "SendTargets=All"));
        assertEquals(TextRequestRejectedException.PROTOCOL_ERROR, e.reason());
    }

    @Test
    void malformedTextIsAProtocolError() {
        TextRequestRejectedException e = assertThrows(TextRequestRejectedException.class,
                () -> send(discovery(8192), FINAL, Bhs.RESERVED_TAG, "SendTargets=All", "SendTargets=All"));
        assertEquals(TextRequestRejectedException.PROTOCOL_ERROR, e.reason());
    }

    /** Twenty portals make the SendTargets=All answer about 2 KB, several pieces at the 512-byte minimum. */
    private void useManyPortals() {
        List<String> addresses = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            addresses.add("192.168.10." + i + ":3260,1");
        }
        context.addresses = addresses;
    }

    private Pdu send(SessionParameters session, int flags, int ttt, String... pairs) {
        Pdu request = pdus.text(flags, ITT, ttt, pairs);
        return pdus.keep(handler.onTextRequest(request, session, context));
    }

    private static SessionParameters discovery(int initiatorMaxRecvDataSegmentLength) {
        return session(SessionType.DISCOVERY, "", initiatorMaxRecvDataSegmentLength);
    }

    private static SessionParameters normal(String target, int initiatorMaxRecvDataSegmentLength) {
        return session(SessionType.NORMAL, target, initiatorMaxRecvDataSegmentLength);
    }

    private static SessionParameters session(SessionType type, String target, int initiatorMaxRecv) {
        return new SessionParameters(type, INITIATOR, "", target, TestPdus.ISID, 1, 1, false, false,
                initiatorMaxRecv, 262144, 262144, 65536, true, true, 1, true, true, 2, 20, 0, 1);
    }
}
