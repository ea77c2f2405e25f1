package dev.jtarget.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Plays the transport and the initiator for tests: sends CDBs with an EDTL and Data-Out through one I_T nexus and
 * returns what came back, releasing the buffers as the transport would.
 */
final class Initiator {
    static final String TARGET_NAME = "iqn.2025-01.dev.jtarget:test-target";
    static final ItNexus NEXUS_A = new ItNexus("iqn.2025-01.dev.jtarget:initiator-a", 0x23D000001L, TARGET_NAME, 1);
    static final ItNexus NEXUS_B = new ItNexus("iqn.2025-01.dev.jtarget:initiator-b", 0x23D000002L, TARGET_NAME, 1);

    private final ScsiTargetDevice target;
    private final ItNexus nexus;

    Initiator(ScsiTargetDevice target, ItNexus nexus) {
        this.target = target;
        this.nexus = nexus;
    }

    ItNexus nexus() {
        return nexus;
    }

    /** A command with no data: EDTL 0. */
    Reply command(int lun, byte[] cdb) {
        return send(lun, cdb, DataDirection.NONE, 0, null);
    }

    /** A Data-In command expecting {@code edtl} bytes. */
    Reply read(int lun, byte[] cdb, int edtl) {
        return send(lun, cdb, DataDirection.READ, edtl, null);
    }

    /** A Data-Out command sending all of {@code data} (EDTL = its length). */
    Reply write(int lun, byte[] cdb, byte[] data) {
        return send(lun, cdb, DataDirection.WRITE, data.length, data);
    }

    Reply send(int lun, byte[] cdb, DataDirection direction, int edtl, byte[] dataOut) {
        return complete(start(lun, cdb, direction, edtl, dataOut));
    }

    /** Starts a command without waiting; {@link #complete} collects it. */
    Pending start(int lun, byte[] cdb, DataDirection direction, int edtl, byte[] dataOut) {
        ByteBuf out = dataOut == null ? null : Unpooled.copiedBuffer(dataOut);
        ScsiCommand command = new ScsiCommand(nexus, lun, cdb, direction, edtl, out, 0x1234);
        return new Pending(target.execute(command), out, edtl);
    }

    record Pending(CompletableFuture<ScsiResponse> future, ByteBuf dataOut, int edtl) {
    }

    static Reply complete(Pending pending) {
        ScsiResponse response;
        try {
            response = pending.future().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the response future must complete normally", e);
        } finally {
            if (pending.dataOut() != null) {
                pending.dataOut().release();
            }
        }
        byte[] data = new byte[0];
        if (response.dataIn() != null) {
            data = ByteBufUtil.getBytes(response.dataIn());
            response.dataIn().release();
        }
        assertTrue(data.length <= Integer.toUnsignedLong(pending.edtl()), "Data-In never exceeds EDTL");
        if (response.status() == ScsiResponse.CHECK_CONDITION) {
            assertNotNull(response.sense(), "CHECK CONDITION carries sense");
        } else {
            assertNull(response.sense(), "only CHECK CONDITION carries sense");
        }
        return new Reply(response.status(), response.sense(), data, response.residual(), response.residualCount());
    }

    static void assertGood(Reply reply) {
        if (reply.status() == ScsiResponse.CHECK_CONDITION) {
            throw new AssertionError(String.format("expected GOOD, got CHECK CONDITION %Xh %02Xh/%02Xh",
                    reply.senseKey(), reply.asc(), reply.ascq()));
        }
        assertEquals(ScsiResponse.GOOD, reply.status());
    }

    static void assertSense(Reply reply, int key, int asc, int ascq) {
        assertEquals(ScsiResponse.CHECK_CONDITION, reply.status(), "status");
        assertEquals(key, reply.senseKey(), "sense key");
        assertEquals(asc, reply.asc(), "ASC");
        assertEquals(ascq, reply.ascq(), "ASCQ");
    }

    /** ILLEGAL REQUEST, INVALID FIELD IN CDB pointing at {@code byteIndex} (and {@code bit}, -1 for none). */
    static void assertInvalidField(Reply reply, int byteIndex, int bit) {
        assertSense(reply, Sense.ILLEGAL_REQUEST, 0x24, 0x00);
        assertTrue(reply.pointsIntoCdb(), "C/D points into the CDB");
        assertEquals(byteIndex, reply.fieldPointer(), "field pointer");
        assertEquals(bit, reply.bitPointer(), "bit pointer");
    }
}
