package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.assertGood;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Sends PERSISTENT RESERVE IN/OUT through one nexus to LUN 0, for the persistent reservation tests. */
final class PrInitiator {
    static final int REGISTER = 0;
    static final int RESERVE = 1;
    static final int RELEASE = 2;
    static final int CLEAR = 3;
    static final int PREEMPT = 4;
    static final int PREEMPT_AND_ABORT = 5;
    static final int REGISTER_AND_IGNORE = 6;
    static final int REGISTER_AND_MOVE = 7;
    static final int APTPL = 0x01;
    static final int SPEC_I_PT = 0x08;
    static final int UNREG = 0x02;

    /** A nexus the tests register without logging it in first. */
    static final ItNexus NEXUS_C = new ItNexus("iqn.2025-01.dev.jtarget:initiator-c", 0x23D000003L,
            Initiator.TARGET_NAME, 1);

    private final Initiator initiator;

    PrInitiator(Initiator initiator) {
        this.initiator = initiator;
    }

    /** Logs {@code nexus} in and takes the POWER ON unit attention every new nexus sees first. */
    static PrInitiator loggedIn(ScsiTarget target, ItNexus nexus) {
        PrInitiator initiator = new PrInitiator(new Initiator(target, nexus));
        target.nexusLoggedIn(nexus);
        Initiator.assertSense(initiator.initiator.command(0, Cdbs.testUnitReady()), Sense.UNIT_ATTENTION, 0x29, 0);
        return initiator;
    }

    /** ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST pointing at {@code field} (and {@code bit}, -1 for none). */
    static void assertInvalidParameter(Reply reply, int field, int bit) {
        Initiator.assertSense(reply, Sense.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(field, reply.fieldPointer(), "field pointer");
        assertEquals(bit, reply.bitPointer(), "bit pointer");
    }

    Initiator initiator() {
        return initiator;
    }

    Reply out(int serviceAction, PrType type, long reservationKey, long serviceActionKey, int flags) {
        return initiator.write(0, Cdbs.persistentReserveOut(serviceAction, type == null ? 0 : type.code, 24),
                Cdbs.proutParameters(reservationKey, serviceActionKey, flags));
    }

    Reply in(int serviceAction, int allocationLength) {
        return initiator.read(0, Cdbs.persistentReserveIn(serviceAction, allocationLength), allocationLength);
    }

    void register(long key) {
        assertGood(out(REGISTER_AND_IGNORE, null, 0, key, 0));
    }

    void reserve(long key, PrType type) {
        assertGood(out(RESERVE, type, key, 0, 0));
    }

    int generation() {
        return (int) Cdb.u32(in(0, 8).data(), 0);
    }

    List<Long> keys() {
        byte[] d = in(0, 1024).data();
        List<Long> keys = new ArrayList<>();
        for (int at = 8; at < 8 + Cdb.u32(d, 4); at += 8) {
            keys.add(Cdb.u64(d, at));
        }
        return keys;
    }

    /** READ RESERVATION: the reservation key and type, or null when there is no reservation. */
    long[] reservation() {
        byte[] d = in(1, 64).data();
        return Cdb.u32(d, 4) == 0 ? null : new long[] {Cdb.u64(d, 8), d[21] & 0x0F};
    }

    /** REGISTER AND MOVE with its own parameter list (SPC-4 Table 217); {@code flags} is byte 17 (UNREG, APTPL). */
    Reply move(long reservationKey, long serviceActionKey, int flags, int relativeTargetPort, byte[] transportId) {
        byte[] list = new byte[24 + transportId.length];
        Cdb.put64(list, 0, reservationKey);
        Cdb.put64(list, 8, serviceActionKey);
        list[17] = (byte) flags;
        Cdb.put16(list, 18, relativeTargetPort);
        Cdb.put32(list, 20, transportId.length);
        System.arraycopy(transportId, 0, list, 24, transportId.length);
        return raw(REGISTER_AND_MOVE, list);
    }

    /** REGISTER with SPEC_I_PT=1 and the TransportIDs after the basic list (SPC-4 Table 215). */
    Reply registerSpecifying(int serviceAction, long reservationKey, long serviceActionKey, int flags,
                             byte[]... transportIds) {
        ByteArrayOutputStream ids = new ByteArrayOutputStream();
        for (byte[] id : transportIds) {
            ids.writeBytes(id);
        }
        byte[] list = new byte[28 + ids.size()];
        System.arraycopy(Cdbs.proutParameters(reservationKey, serviceActionKey, flags | SPEC_I_PT), 0, list, 0, 24);
        Cdb.put32(list, 24, ids.size());
        System.arraycopy(ids.toByteArray(), 0, list, 28, ids.size());
        return raw(serviceAction, list);
    }

    /** A PERSISTENT RESERVE OUT whose PARAMETER LIST LENGTH is the length of {@code list}. */
    Reply raw(int serviceAction, byte[] list) {
        return initiator.write(0, Cdbs.persistentReserveOut(serviceAction, 0, list.length), list);
    }

    /** The iSCSI initiator port TransportID (format 01b) of {@code nexus}, written out byte by byte. */
    static byte[] transportId(ItNexus nexus) {
        return transportId(0x45, nexus.initiatorPortName());
    }

    /** A TransportID with this first byte and text, null-terminated and padded to a multiple of four, at least 20. */
    static byte[] transportId(int formatAndProtocol, String text) {
        byte[] name = text.getBytes(StandardCharsets.UTF_8);
        int length = Math.max(20, (name.length + 4) / 4 * 4);
        byte[] b = new byte[4 + length];
        b[0] = (byte) formatAndProtocol;
        Cdb.put16(b, 2, length);
        System.arraycopy(name, 0, b, 4, name.length);
        return b;
    }

    /** READ FULL STATUS: each registration's initiator port name and whether it holds the reservation. */
    List<String> fullStatus() {
        byte[] d = in(3, 4096).data();
        List<String> ports = new ArrayList<>();
        for (int at = 8; at < 8 + Cdb.u32(d, 4); at += 24 + (int) Cdb.u32(d, at + 20)) {
            String name = new String(d, at + 28, Cdb.u16(d, at + 26), StandardCharsets.UTF_8);
            ports.add(name.substring(0, name.indexOf('\0')) + ((d[at + 12] & 1) != 0 ? " holder" : ""));
        }
        return ports;
    }
}
