package dev.jtarget.iscsi.login;

import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ValueFormatsTest {

    @Test
    void numericalValueIsDecimalOrHex() {
        assertEquals(OptionalLong.of(262144), NumericalValue.parse("262144"));
        assertEquals(OptionalLong.of(65536), NumericalValue.parse("0x10000"));
        assertEquals(OptionalLong.of(255), NumericalValue.parse("0XfF"));
        assertEquals(OptionalLong.of(0), NumericalValue.parse("0"));
    }

    @Test
    void malformedOrHugeNumbersAreNotNumbers() {
        assertEquals(OptionalLong.empty(), NumericalValue.parse(""));
        assertEquals(OptionalLong.empty(), NumericalValue.parse("-1"));
        assertEquals(OptionalLong.empty(), NumericalValue.parse("+1"));
        assertEquals(OptionalLong.empty(), NumericalValue.parse("12a"));
        assertEquals(OptionalLong.empty(), NumericalValue.parse("0x"));
        assertEquals(OptionalLong.empty(), NumericalValue.parse("1".repeat(19)));
        assertEquals(OptionalLong.empty(), NumericalValue.parse("0x" + "f".repeat(16)));
    }

    @Test
    void rangeCheckReturnsMinusOneOutsideTheRange() {
        assertEquals(512, NumericalValue.parseInRange("512", 512, 1024));
        assertEquals(-1, NumericalValue.parseInRange("511", 512, 1024));
        assertEquals(-1, NumericalValue.parseInRange("1025", 512, 1024));
        assertEquals(-1, NumericalValue.parseInRange("Yes", 512, 1024));
    }

    @Test
    void binaryValueIsHexOrBase64() {
        assertArrayEquals(new byte[] {0x01, (byte) 0xab}, BinaryValue.decode("0x01ab"));
        assertArrayEquals(new byte[] {0x01, (byte) 0xab}, BinaryValue.decode("0X01AB"));
        assertArrayEquals(new byte[] {0x0a, (byte) 0xbc}, BinaryValue.decode("0xabc"));
        assertArrayEquals(new byte[] {'h', 'i', '!'}, BinaryValue.decode("0baGkh"));
        assertEquals("0x00ff10", BinaryValue.encodeHex(new byte[] {0, (byte) 0xff, 0x10}));
    }

    @Test
    void binaryValueWithoutPrefixOrWithBadDigitsIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> BinaryValue.decode("01ab"));
        assertThrows(IllegalArgumentException.class, () -> BinaryValue.decode("0x"));
        assertThrows(IllegalArgumentException.class, () -> BinaryValue.decode("0xgg"));
        assertThrows(IllegalArgumentException.class, () -> BinaryValue.decode("0b!!!!"));
        assertThrows(IllegalArgumentException.class, () -> BinaryValue.decode("0z1234"));
    }
}
