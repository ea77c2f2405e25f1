package dev.jtarget.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SenseTest {

    @Test
    void fixedFormatCarriesKeyCodesAndFieldPointer() {
        byte[] b = Sense.INVALID_FIELD_IN_CDB.withCdbFieldPointer(7, 3).encode(false);
        assertArrayEquals(new byte[] {0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0x00, 0,
            (byte) (0x80 | 0x40 | 0x08 | 3), 0, 7}, b);
    }

    @Test
    void fixedFormatSetsValidOnlyWhenTheInformationFits() {
        byte[] small = Sense.MISCOMPARE_DURING_VERIFY.withInformation(0x1234).encode(false);
        assertEquals((byte) 0xF0, small[0]);
        assertEquals(0x1234, Cdb.u32(small, 3));
        byte[] large = Sense.MISCOMPARE_DURING_VERIFY.withInformation(1L << 40).encode(false);
        assertEquals(0x70, large[0]);
    }

    @Test
    void descriptorFormatHasInformationAndSenseKeySpecificDescriptors() {
        byte[] b = Sense.MISCOMPARE_DURING_VERIFY.withInformation(1L << 40)
                .withParameterFieldPointer(300, -1).encode(true);
        assertEquals(8 + 12 + 8, b.length);
        assertArrayEquals(new byte[] {0x72, 0x0E, 0x1D, 0x00, 0, 0, 0, 20}, Arrays.copyOf(b, 8));
        assertEquals(0x00, b[8], "information descriptor");
        assertEquals(0x0A, b[9]);
        assertEquals((byte) 0x80, b[10], "VALID");
        assertEquals(1L << 40, Cdb.u64(b, 12));
        assertEquals(0x02, b[20], "sense key specific descriptor");
        assertEquals(0x06, b[21]);
        assertEquals((byte) 0x80, b[24], "SKSV, C/D=0, no bit pointer");
        assertEquals(300, Cdb.u16(b, 25));
    }

    @Test
    void descriptorFormatWithoutExtrasIsEightBytes() {
        assertArrayEquals(new byte[] {0x72, 0x06, 0x29, 0x00, 0, 0, 0, 0}, Sense.POWER_ON_OR_RESET.encode(true));
    }
}
