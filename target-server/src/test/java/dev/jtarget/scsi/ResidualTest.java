package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.scsi.ScsiResponse.Residual;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The EDTL-versus-CDB scenarios of libiscsi's read/write residual tests. */
class ResidualTest {
    private final Initiator initiator = new Initiator(Luns.target(), NEXUS_A);

    private byte[] blocks(int count, char fill) {
        byte[] b = new byte[count * BLOCK_SIZE];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    @Test
    void readOfOneBlockWithExpectedLengthZeroIsGoodWithOneBlockOverflow() {
        Reply reply = initiator.read(0, Cdbs.read10(0, 1), 0);
        assertGood(reply);
        assertEquals(0, reply.data().length);
        assertEquals(Residual.OVERFLOW, reply.residual());
        assertEquals(BLOCK_SIZE, reply.residualCount());
    }

    @Test
    void readWithLargerExpectedLengthSendsTheBlockAndReportsUnderflow() {
        Reply reply = initiator.read(0, Cdbs.read10(0, 1), 10000);
        assertGood(reply);
        assertEquals(BLOCK_SIZE, reply.data().length);
        assertEquals(Residual.UNDERFLOW, reply.residual());
        assertEquals(10000 - BLOCK_SIZE, reply.residualCount());
    }

    @Test
    void readWithExpectedLengthInsideABlockSendsExactlyThatMany() {
        assertGood(initiator.write(0, Cdbs.write10(0, 1), Luns.pattern(BLOCK_SIZE, 2)));
        Reply reply = initiator.read(0, Cdbs.read10(0, 1), 200);
        assertGood(reply);
        assertArrayEquals(Arrays.copyOf(Luns.pattern(BLOCK_SIZE, 2), 200), reply.data());
        assertEquals(Residual.OVERFLOW, reply.residual());
        assertEquals(BLOCK_SIZE - 200, reply.residualCount());
    }

    @Test
    void readOfTwoBlocksWithOneBlockExpectedSendsOneBlockAndOverflow() {
        Reply reply = initiator.read(0, Cdbs.read10(0, 2), BLOCK_SIZE);
        assertGood(reply);
        assertEquals(BLOCK_SIZE, reply.data().length);
        assertEquals(Residual.OVERFLOW, reply.residual());
        assertEquals(BLOCK_SIZE, reply.residualCount());
    }

    @Test
    void readFlaggedAsWriteByTheTransportSendsNoDataButSucceeds() {
        Reply reply = initiator.send(0, Cdbs.read10(0, 1), DataDirection.WRITE, BLOCK_SIZE, new byte[BLOCK_SIZE]);
        assertGood(reply);
        assertEquals(0, reply.data().length);
    }

    @Test
    void writeOfOneBlockWithExpectedLengthZeroWritesNothingAndOverflows() {
        assertGood(initiator.write(0, Cdbs.write10(0, 1), blocks(1, 'a')));
        Reply reply = initiator.send(0, Cdbs.write10(0, 1), DataDirection.WRITE, 0, null);
        assertGood(reply);
        assertEquals(Residual.OVERFLOW, reply.residual());
        assertEquals(BLOCK_SIZE, reply.residualCount());
        assertArrayEquals(blocks(1, 'a'), initiator.read(0, Cdbs.read10(0, 1), BLOCK_SIZE).data());
    }

    @Test
    void writeWithLargerExpectedLengthWritesOnlyTheCdbBlocksAndUnderflows() {
        assertGood(initiator.write(0, Cdbs.write10(0, 2), blocks(2, 'a')));
        Reply reply = initiator.write(0, Cdbs.write10(0, 1), blocks(2, 'b'));
        assertGood(reply);
        assertEquals(Residual.UNDERFLOW, reply.residual());
        assertEquals(BLOCK_SIZE, reply.residualCount());
        byte[] expected = blocks(2, 'a');
        Arrays.fill(expected, 0, BLOCK_SIZE, (byte) 'b');
        assertArrayEquals(expected, initiator.read(0, Cdbs.read10(0, 2), 2 * BLOCK_SIZE).data());
    }

    @Test
    void writeWithSmallerExpectedLengthWritesOnlyTheCoveredBlocksAndOverflows() {
        assertGood(initiator.write(0, Cdbs.write10(0, 2), blocks(2, 'a')));
        Reply reply = initiator.write(0, Cdbs.write10(0, 2), blocks(1, 'b'));
        assertGood(reply);
        assertEquals(Residual.OVERFLOW, reply.residual());
        assertEquals(BLOCK_SIZE, reply.residualCount());
        byte[] expected = blocks(2, 'a');
        Arrays.fill(expected, 0, BLOCK_SIZE, (byte) 'b');
        assertArrayEquals(expected, initiator.read(0, Cdbs.read10(0, 2), 2 * BLOCK_SIZE).data());
    }

    @Test
    void writeWhoseExpectedLengthEndsInsideABlockFailsWithoutWriting() {
        assertGood(initiator.write(0, Cdbs.write10(0, 1), blocks(1, 'a')));
        Reply reply = initiator.write(0, Cdbs.write10(0, 1), Arrays.copyOf(blocks(1, 'b'), 200));
        assertSense(reply, Sense.ILLEGAL_REQUEST, 0x0E, 0x03);
        assertEquals(Residual.OVERFLOW, reply.residual());
        assertEquals(BLOCK_SIZE - 200, reply.residualCount());
        assertArrayEquals(blocks(1, 'a'), initiator.read(0, Cdbs.read10(0, 1), BLOCK_SIZE).data());
    }

    @Test
    void writeWhoseTransportDeliveredLessThanAnnouncedIsAbortedForRetry() {
        Reply reply = initiator.send(0, Cdbs.write10(0, 2), DataDirection.WRITE, 2 * BLOCK_SIZE,
                blocks(1, 'c'));
        assertSense(reply, Sense.ABORTED_COMMAND, 0x4B, 0x00);
        assertArrayEquals(new byte[BLOCK_SIZE], initiator.read(0, Cdbs.read10(0, 1), BLOCK_SIZE).data());
    }

    @Test
    void commandWithoutDataReportsTheWholeExpectedLengthAsUnderflow() {
        Reply reply = initiator.read(0, Cdbs.testUnitReady(), 64);
        assertGood(reply);
        assertEquals(Residual.UNDERFLOW, reply.residual());
        assertEquals(64, reply.residualCount());
    }
}
