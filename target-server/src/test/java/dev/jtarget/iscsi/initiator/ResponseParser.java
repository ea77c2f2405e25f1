package dev.jtarget.iscsi.initiator;

import dev.jtarget.iscsi.pdu.Bhs;
import dev.jtarget.iscsi.pdu.Opcode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Splits the bytes a target sends into PDUs and checks that each is well formed: a target opcode, no reserved bits
 * in byte 0, no AHS (this target sends none), a data segment within the initiator's limit and only on PDUs that may
 * carry one, zero padding and correct digests. A violation is an {@link AssertionError} naming the PDU.
 *
 * <p>Digests start after the Login Response that enters full feature phase, as negotiated in the login (RFC 7143
 * §13.1); the parser reads the negotiated values from the login responses it parses.
 */
public final class ResponseParser {
    private static final Set<Integer> TARGET_OPCODES = Set.of(Opcode.NOP_IN, Opcode.SCSI_RESPONSE,
            Opcode.TASK_MANAGEMENT_RESPONSE, Opcode.LOGIN_RESPONSE, Opcode.TEXT_RESPONSE, Opcode.SCSI_DATA_IN,
            Opcode.LOGOUT_RESPONSE, Opcode.R2T, Opcode.ASYNC_MESSAGE, Opcode.REJECT);
    /** PDUs whose data segment is reserved (RFC 7143 §11.6, §11.8, §11.15). */
    private static final Set<Integer> WITHOUT_DATA = Set.of(Opcode.TASK_MANAGEMENT_RESPONSE, Opcode.R2T,
            Opcode.LOGOUT_RESPONSE);
    /** The initiator's MaxRecvDataSegmentLength during login (§13.12). */
    private static final int LOGIN_DATA_SEGMENT_LIMIT = 8192;

    private byte[] buffer = new byte[0];
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxDataSegmentLength = LOGIN_DATA_SEGMENT_LIMIT;
    private final Map<String, String> loginKeys = new HashMap<>();

    /** Appends bytes received from the target. */
    public void feed(byte[] bytes) {
        byte[] joined = Arrays.copyOf(buffer, buffer.length + bytes.length);
        System.arraycopy(bytes, 0, joined, buffer.length, bytes.length);
        buffer = joined;
    }

    /** Bytes received that do not (yet) make up a whole PDU. */
    public int buffered() {
        return buffer.length;
    }

    /** The largest data segment the initiator declared it accepts (its MaxRecvDataSegmentLength). */
    public void setMaxDataSegmentLength(int bytes) {
        this.maxDataSegmentLength = bytes;
    }

    public boolean headerDigest() {
        return headerDigest;
    }

    public boolean dataDigest() {
        return dataDigest;
    }

    /** The next whole PDU, or null when more bytes are needed. */
    public ResponsePdu next() {
        if (buffer.length < Bhs.LENGTH) {
            return null;
        }
        Bhs bhs = new Bhs(Arrays.copyOf(buffer, Bhs.LENGTH));
        checkHeader(bhs);
        int dataLength = bhs.dataSegmentLength();
        int headerLength = Bhs.LENGTH + (headerDigest ? 4 : 0);
        int padded = (dataLength + 3) & ~3;
        int total = headerLength + padded + (dataDigest && dataLength > 0 ? 4 : 0);
        if (buffer.length < total) {
            return null;
        }
        if (headerDigest) {
            checkDigest(bhs, "header", 0, Bhs.LENGTH, Bhs.LENGTH);
        }
        for (int i = headerLength + dataLength; i < headerLength + padded; i++) {
            if (buffer[i] != 0) {
                throw new AssertionError("non-zero padding in " + bhs);
            }
        }
        if (dataDigest && dataLength > 0) {
            checkDigest(bhs, "data", headerLength, padded, headerLength + padded);
        }
        byte[] data = Arrays.copyOfRange(buffer, headerLength, headerLength + dataLength);
        buffer = Arrays.copyOfRange(buffer, total, buffer.length);
        ResponsePdu pdu = new ResponsePdu(bhs, data);
        if (pdu.is(Opcode.LOGIN_RESPONSE)) {
            afterLoginResponse(pdu);
        }
        return pdu;
    }

    private void checkHeader(Bhs bhs) {
        int byte0 = bhs.bytes()[0] & 0xff;
        if (!TARGET_OPCODES.contains(bhs.opcode()) || (byte0 & 0xc0) != 0) {
            throw new AssertionError(String.format("byte 0 is 0x%02x: not a target PDU (%s)", byte0, bhs));
        }
        if (bhs.totalAhsLength() != 0) {
            throw new AssertionError("unexpected AHS in " + bhs);
        }
        int dataLength = bhs.dataSegmentLength();
        if (dataLength > maxDataSegmentLength) {
            throw new AssertionError("data segment of " + dataLength + " bytes exceeds the initiator's limit of "
                    + maxDataSegmentLength + " (" + bhs + ")");
        }
        if (dataLength > 0 && WITHOUT_DATA.contains(bhs.opcode())) {
            throw new AssertionError("data segment on a PDU that has none: " + bhs);
        }
    }

    private void checkDigest(Bhs bhs, String what, int from, int length, int digestAt) {
        CRC32C crc = new CRC32C();
        crc.update(buffer, from, length);
        long expected = crc.getValue();
        long received = (buffer[digestAt] & 0xffL) | (buffer[digestAt + 1] & 0xffL) << 8
                | (buffer[digestAt + 2] & 0xffL) << 16 | (buffer[digestAt + 3] & 0xffL) << 24;
        if (expected != received) {
            throw new AssertionError(what + " digest mismatch on " + bhs);
        }
    }

    /** Collects negotiated keys; the response that enters full feature phase switches the digests on. */
    private void afterLoginResponse(ResponsePdu pdu) {
        loginKeys.putAll(pdu.textKeys());
        if (pdu.entersFullFeaturePhase() && pdu.loginStatus() == 0) {
            headerDigest = "CRC32C".equals(loginKeys.get("HeaderDigest"));
            dataDigest = "CRC32C".equals(loginKeys.get("DataDigest"));
        }
    }
}
