package dev.jtarget.iscsi.initiator;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A PDU the target sent, as parsed by {@link ResponseParser}.
 *
 * @param data the data segment without padding and digest
 */
public record ResponsePdu(Bhs bhs, byte[] data) {
    /** Data-In and SCSI Response flags (RFC 7143 §11.4.1, §11.7.1). */
    public static final int FLAG_OVERFLOW = 0x04;
    public static final int FLAG_UNDERFLOW = 0x02;
    public static final int FLAG_STATUS = 0x01;

    public int opcode() {
        return bhs.opcode();
    }

    public int itt() {
        return bhs.initiatorTaskTag();
    }

    public boolean is(int opcode) {
        return bhs.opcode() == opcode;
    }

    /** Data-In: the S bit, status rides on this PDU (phase collapse, §11.7.4). */
    public boolean hasStatus() {
        return bhs.flagBit(FLAG_STATUS);
    }

    /** SCSI Response and Data-In with S: the SAM status byte. */
    public int status() {
        return bhs.byte3();
    }

    /** Reject: the reason; Task Management and Logout Response: the response code. */
    public int reason() {
        return bhs.byte2();
    }

    /** Login Response: Status-Class and Status-Detail (§11.13.5) as one number, e.g. 0x0201. */
    public int loginStatus() {
        return ((bhs.bytes()[36] & 0xff) << 8) | (bhs.bytes()[37] & 0xff);
    }

    /** Login Response: the T bit and NSG 3, the login is complete. */
    public boolean entersFullFeaturePhase() {
        return bhs.isFinal() && (bhs.flags() & 0x03) == 3;
    }

    /** Reject: the header of the PDU the target rejected, carried as the data segment (§11.17). */
    public Bhs rejectedHeader() {
        if (!is(Opcode.REJECT) || data.length != Bhs.LENGTH) {
            throw new AssertionError("not a Reject carrying a header: " + this);
        }
        return new Bhs(data.clone());
    }

    /** SCSI Response: the sense data after the 2-byte SenseLength (§11.4.7.2), or an empty array. */
    public byte[] sense() {
        if (data.length < 2) {
            return new byte[0];
        }
        int length = ((data[0] & 0xff) << 8) | (data[1] & 0xff);
        byte[] sense = new byte[length];
        System.arraycopy(data, 2, sense, 0, length);
        return sense;
    }

    /** Login and Text Response: the key=value pairs of the data segment. */
    public Map<String, String> textKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        int start = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == 0) {
                String pair = new String(data, start, i - start, StandardCharsets.UTF_8);
                int equals = pair.indexOf('=');
                keys.put(pair.substring(0, equals), pair.substring(equals + 1));
                start = i + 1;
            }
        }
        return keys;
    }

    @Override
    public String toString() {
        return Opcode.name(opcode()) + " itt=0x" + Integer.toHexString(itt()) + " flags=0x"
                + Integer.toHexString(bhs.flags()) + " byte2=0x" + Integer.toHexString(bhs.byte2()) + " byte3=0x"
                + Integer.toHexString(bhs.byte3()) + " data=" + data.length;
    }
}
