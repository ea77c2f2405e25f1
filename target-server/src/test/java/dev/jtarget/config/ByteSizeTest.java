package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteSizeTest {

    @Test
    void plainNumbersAreBytes() {
        assertEquals(4096, ByteSize.parse("4096"));
    }

    @Test
    void shortAndLongUnitsAreTheSameBinaryUnits() {
        assertEquals(64L * 1024, ByteSize.parse("64K"));
        assertEquals(64L * 1024, ByteSize.parse("64KiB"));
        assertEquals(256L * 1024 * 1024, ByteSize.parse("256MiB"));
        assertEquals(1024L * 1024 * 1024, ByteSize.parse("1G"));
        assertEquals(3L * 1024 * 1024 * 1024 * 1024, ByteSize.parse("3TiB"));
    }

    @Test
    void sizesBeyondSixtyFourBitsAreRejectedNotWrapped() {
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("9999999T"));
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("99999999999999999999"));
    }

    @Test
    void unknownUnitsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("12XB"));
        assertThrows(IllegalArgumentException.class, () -> ByteSize.parse("MiB"));
    }

    @Test
    void formatsWithTheLargestWholeUnitOrOneDecimal() {
        assertEquals("512 bytes", ByteSize.format(512));
        assertEquals("1 GiB", ByteSize.format(1L << 30));
        assertEquals("1.5 GiB", ByteSize.format(3L << 29));
        assertEquals("256 MiB", ByteSize.format(256L << 20));
    }
}
