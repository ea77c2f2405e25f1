package dev.jtarget.scsi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * iSCSI TransportIDs (SPC-4 §7.6.4.6): how PERSISTENT RESERVE IN reports an initiator port and how SPEC_I_PT and
 * REGISTER AND MOVE name one. Only format 01b, the initiator port name {@code iqn...,i,0x<ISID>}, is accepted:
 * format 00b names every port of an initiator device "known to the device server", which for ports that have not
 * logged in yet has no answer, and SPC-4 lets a device server reject it.
 */
final class IscsiTransportId {
    private static final int PROTOCOL_ISCSI = 0x5;
    private static final int FORMAT_INITIATOR_PORT = 0b01;
    private static final String SEPARATOR = ",i,0x";
    /** The ADDITIONAL LENGTH is at least 20 and a multiple of four. */
    private static final int MINIMUM_LENGTH = 20;
    /** An ISID is six bytes (RFC 7143 §11.12.5): at most twelve hexadecimal digits. */
    private static final int ISID_DIGITS = 12;
    /** RFC 7143 §4.2.7.1: an iSCSI name is at most 223 bytes. */
    private static final int NAME_LIMIT = 223;

    private IscsiTransportId() {
    }

    /** The format 01b TransportID of the nexus's initiator port: null-terminated, padded to a multiple of four. */
    static byte[] of(ItNexus nexus) {
        byte[] name = nexus.initiatorPortName().getBytes(StandardCharsets.UTF_8);
        int length = Math.max(MINIMUM_LENGTH, (name.length + 1 + 3) & ~3);
        byte[] b = new byte[4 + length];
        b[0] = (byte) (FORMAT_INITIATOR_PORT << 6 | PROTOCOL_ISCSI);
        Cdb.put16(b, 2, length);
        System.arraycopy(name, 0, b, 4, name.length);
        return b;
    }

    /**
     * The initiator ports named by the TransportIDs filling {@code list[from, to)}, each paired with the target port
     * of {@code port} (this target has one). Anything malformed is INVALID FIELD IN PARAMETER LIST pointing at the
     * bad field; a TransportID running past {@code to} points at the length field at {@code lengthAt} that cut it
     * short (SPC-4 §6.16.3, §6.16.4).
     */
    static List<ItNexus> readAll(byte[] list, int from, int to, int lengthAt, ItNexus port) {
        List<ItNexus> nexuses = new ArrayList<>();
        int at = from;
        while (at < to) {
            if (to - at < 4) {
                throw invalid(lengthAt, -1);
            }
            int length = Cdb.u16(list, at + 2);
            if (Cdb.bits(list, at, 0, 4) != PROTOCOL_ISCSI) {
                throw invalid(at, 3);
            }
            if (Cdb.bits(list, at, 6, 2) != FORMAT_INITIATOR_PORT) {
                throw invalid(at, 7);
            }
            if (length < MINIMUM_LENGTH || length % 4 != 0) {
                throw invalid(at + 2, -1);
            }
            if (to - at - 4 < length) {
                throw invalid(lengthAt, -1);
            }
            nexuses.add(initiatorPort(list, at + 4, at + 4 + length, port));
            at += 4 + length;
        }
        return nexuses;
    }

    /**
     * The ISCSI NAME, the SEPARATOR ",i,0x" and the ISID in hexadecimal, null-terminated and null-padded. iSCSI names
     * contain no commas (RFC 3722), so the first separator ends the name.
     */
    private static ItNexus initiatorPort(byte[] list, int from, int to, ItNexus port) {
        int end = from;
        while (end < to && list[end] != 0) {
            end++;
        }
        for (int padding = end; padding < to; padding++) {
            if (list[padding] != 0) {
                throw invalid(padding, -1);
            }
        }
        String text = new String(list, from, end - from, StandardCharsets.UTF_8);
        int separator = text.indexOf(SEPARATOR);
        String isid = separator < 0 ? "" : text.substring(separator + SEPARATOR.length());
        if (end == to || separator <= 0 || separator > NAME_LIMIT || text.indexOf(',') < separator
                || isid.isEmpty() || isid.length() > ISID_DIGITS || !isid.chars().allMatch(HexFormat::isHexDigit)) {
            throw invalid(from, -1);
        }
        return new ItNexus(text.substring(0, separator), HexFormat.fromHexDigitsToLong(isid), port.targetName(),
                port.targetPortalGroupTag());
    }

    private static CheckCondition invalid(int at, int bit) {
        return new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(at, bit));
    }
}
