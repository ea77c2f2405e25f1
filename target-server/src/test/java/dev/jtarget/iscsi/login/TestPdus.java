package dev.jtarget.iscsi.login;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.iscsi.pdu.Pdu;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds request PDUs the way an initiator would and reads response text, releasing everything it hands out. */
final class TestPdus implements AutoCloseable {
    static final long ISID = 0x80_1234_5678_9aL;
    static final int ITT = 0x1000_0001;
    static final int CID = 7;
    static final int CMD_SN = 100;
    static final int EXP_STAT_SN = 5000;

    private final List<Pdu> issued = new ArrayList<>();

    /** A Login Request with the fields every request of one login shares. */
    LoginRequest login(int csg) {
        return new LoginRequest(csg);
    }

    Pdu text(int flags, int itt, int ttt, String... pairs) {
        Bhs bhs = new Bhs();
        bhs.setOpcode(Opcode.TEXT_REQUEST);
        bhs.setFlags(flags);
        bhs.setInitiatorTaskTag(itt);
        bhs.setTargetTransferTag(ttt);
        return track(bhs, encode(pairs));
    }

    Pdu track(Bhs bhs, byte[] data) {
        bhs.setDataSegmentLength(data.length);
        Pdu pdu = new Pdu(bhs, data.length == 0 ? null : Unpooled.wrappedBuffer(data));
        issued.add(pdu);
        return pdu;
    }

    /** Keeps a response for release at the end of the test and returns it. */
    <T extends Pdu> T keep(T response) {
        issued.add(response);
        return response;
    }

    static byte[] encode(String... pairs) {
        StringBuilder text = new StringBuilder();
        for (String pair : pairs) {
            text.append(pair).append('\0');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] bytes(Pdu pdu) {
        ByteBuf data = pdu.data();
        byte[] bytes = new byte[data.readableBytes()];
        data.getBytes(data.readerIndex(), bytes);
        return bytes;
    }

    /** The response's key=value pairs in order (keys may repeat, as in SendTargets answers). */
    static List<String> pairs(byte[] text) {
        List<String> pairs = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length; i++) {
            if (text[i] == 0) {
                pairs.add(new String(text, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start != text.length) {
            throw new AssertionError("response text does not end with NUL");
        }
        return pairs;
    }

    static Map<String, String> keys(Pdu pdu) {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String pair : pairs(bytes(pdu))) {
            int equals = pair.indexOf('=');
            if (keys.put(pair.substring(0, equals), pair.substring(equals + 1)) != null) {
                throw new AssertionError("duplicate key in response: " + pair);
            }
        }
        return keys;
    }

    static int statusClass(Pdu response) {
        return response.bhs().bytes()[36] & 0xff;
    }

    static int statusDetail(Pdu response) {
        return response.bhs().bytes()[37] & 0xff;
    }

    static int csg(Pdu pdu) {
        return (pdu.bhs().flags() >>> 2) & 3;
    }

    static int nsg(Pdu pdu) {
        return pdu.bhs().flags() & 3;
    }

    @Override
    public void close() {
        issued.forEach(Pdu::release);
        issued.clear();
    }

    final class LoginRequest {
        private final Bhs bhs = new Bhs();

        private LoginRequest(int csg) {
            bhs.setOpcode(Opcode.LOGIN_REQUEST);
            bhs.setImmediate(true);
            bhs.setFlags(csg << 2);
            bhs.setIsid(ISID);
            bhs.setInitiatorTaskTag(ITT);
            bhs.setConnectionId(CID);
            bhs.setCmdSn(CMD_SN);
            bhs.setExpStatSn(EXP_STAT_SN);
        }

        LoginRequest transitTo(int nsg) {
            bhs.setFlags(bhs.flags() | LoginStateMachine.TRANSIT | nsg);
            return this;
        }

        LoginRequest continues() {
            bhs.setFlags(bhs.flags() | LoginStateMachine.CONTINUE);
            return this;
        }

        LoginRequest tsih(int tsih) {
            bhs.setTsih(tsih);
            return this;
        }

        LoginRequest itt(int itt) {
            bhs.setInitiatorTaskTag(itt);
            return this;
        }

        LoginRequest versionMin(int version) {
            bhs.setByte3(version);
            return this;
        }

        LoginRequest opcode(int opcode) {
            bhs.setOpcode(opcode);
            return this;
        }

        Pdu with(String... pairs) {
            return track(bhs, encode(pairs));
        }

        Pdu withBytes(byte[] data) {
            return track(bhs, data);
        }
    }
}
