package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertInvalidField;
import static dev.jtarget.scsi.Luns.BLOCKS;
import static dev.jtarget.scsi.Luns.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jtarget.backend.BackendCapabilities;
import dev.jtarget.backend.BlockBackend;
import dev.jtarget.scsi.ScsiResponse.Residual;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class CapacityTest {
    private final Initiator initiator = new Initiator(Luns.target(), NEXUS_A);

    @Test
    void readCapacity10ReportsTheLastLbaAndBlockLength() {
        Reply reply = initiator.read(0, Cdbs.readCapacity10(), 8);
        assertGood(reply);
        assertEquals(BLOCKS - 1, Cdb.u32(reply.data(), 0));
        assertEquals(BLOCK_SIZE, Cdb.u32(reply.data(), 4));
    }

    @Test
    void readCapacity16ReportsCapacityAndThinProvisioningBits() {
        Reply reply = initiator.read(0, Cdbs.readCapacity16(32), 32);
        assertGood(reply);
        byte[] d = reply.data();
        assertEquals(BLOCKS - 1, Cdb.u64(d, 0));
        assertEquals(BLOCK_SIZE, Cdb.u32(d, 8));
        assertEquals(0, d[12], "no protection information");
        assertEquals(0, d[13], "one logical block per physical block");
        assertEquals(0x80 | 0x40, d[14] & 0xC0, "LBPME and LBPRZ");
    }

    @Test
    void readCapacity16ReportsTheLogicalBlocksPerPhysicalBlockExponent() {
        for (int exponent : new int[] {3, 7, 15}) {
            LogicalUnit lun = Luns.physicalBlockLun(0, BLOCK_SIZE << exponent);
            byte[] d = new Initiator(Luns.target(lun), NEXUS_A).read(0, Cdbs.readCapacity16(32), 32).data();
            assertEquals(BLOCK_SIZE, Cdb.u32(d, 8), "the logical block stays the addressing unit");
            assertEquals(exponent, d[13] & 0x0F, "LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT");
            assertEquals(0, Cdb.u16(d, 14) & 0x3FFF, "LOWEST ALIGNED LOGICAL BLOCK ADDRESS: LBA 0 starts one");
            assertEquals(0x80 | 0x40, d[14] & 0xC0, "LBPME and LBPRZ beside it");
        }
    }

    @Test
    void aPhysicalBlockThatIsNotTheBlockSizeTimesAPowerOfTwoIsRefused() {
        for (int physical : new int[] {256, 1536, BLOCK_SIZE << 16}) {
            assertThrows(IllegalArgumentException.class, () -> Luns.physicalBlockLun(0, physical));
        }
    }

    @Test
    void readCapacity16WithoutDiscardReportsNeitherLbpmeNorLbprz() {
        BlockBackend backend = new RecordingBackend(BLOCKS * BLOCK_SIZE, BLOCK_SIZE,
                new BackendCapabilities(false, false, false, false));
        Initiator fixed = new Initiator(Luns.target(Luns.lun(0, backend, true, false)), NEXUS_A);
        assertEquals(0, fixed.read(0, Cdbs.readCapacity16(32), 32).data()[14]);
    }

    @Test
    void readCapacity16IsTruncatedToTheAllocationLength() {
        Reply reply = initiator.read(0, Cdbs.readCapacity16(12), 32);
        assertGood(reply);
        assertEquals(12, reply.data().length);
        assertEquals(Residual.UNDERFLOW, reply.residual());
        assertEquals(20, reply.residualCount());
    }

    @Test
    void lbaWithoutPmiIsAnInvalidField() {
        byte[] cdb = Cdbs.readCapacity10();
        cdb[5] = 1;
        assertInvalidField(initiator.read(0, cdb, 8), 2, -1);
    }

    @Test
    void aCapacityBeyond32BitsReadsFfffffffInReadCapacity10() {
        long blocks = 0x1_0000_0010L;
        Initiator huge = new Initiator(Luns.target(Luns.lun(0, new SizeOnlyBackend(blocks * 512), true, false)),
                NEXUS_A);
        assertEquals(0xFFFF_FFFFL, Cdb.u32(huge.read(0, Cdbs.readCapacity10(), 8).data(), 0));
        assertEquals(blocks - 1, Cdb.u64(huge.read(0, Cdbs.readCapacity16(32), 32).data(), 0));
    }

    @Test
    void unknownServiceActionOfServiceActionInIsInvalidOperationCode() {
        byte[] cdb = Cdbs.readCapacity16(32);
        cdb[1] = 0x11;
        Reply reply = initiator.read(0, cdb, 32);
        Initiator.assertSense(reply, Sense.ILLEGAL_REQUEST, 0x20, 0x00);
        assertEquals(1, reply.fieldPointer());
    }

    /** A backend that only has a size: for capacity answers, never read or written. */
    private record SizeOnlyBackend(long sizeBytes) implements BlockBackend {
        @Override
        public int blockSize() {
            return 512;
        }

        @Override
        public BackendCapabilities capabilities() {
            return new BackendCapabilities(false, false, false, false);
        }

        @Override
        public CompletableFuture<Void> read(long offset, ByteBuffer destination) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> write(long offset, ByteBuffer[] sources, boolean fua) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> flush() {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> discard(long offset, long length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }

        @Override
        public String describe() {
            return "size only";
        }
    }
}
