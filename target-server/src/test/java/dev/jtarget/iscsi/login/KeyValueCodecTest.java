package dev.jtarget.iscsi.login;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KeyValueCodecTest {

    @Test
    void decodesPairsInOrder() throws Exception {
        assertEquals(List.of(new KeyValue("InitiatorName", "iqn.x"), new KeyValue("SessionType", "Normal")),
                KeyValueCodec.decode(TestPdus.encode("InitiatorName=iqn.x", "SessionType=Normal")));
    }

    @Test
    void emptyValueIsAllowed() throws Exception {
        assertEquals(List.of(new KeyValue("SendTargets", "")), KeyValueCodec.decode(TestPdus.encode("SendTargets=")));
    }

    @Test
    void valueMaySpanAnotherEqualsSign() throws Exception {
        assertEquals(List.of(new KeyValue("InitiatorAlias", "a=b")),
                KeyValueCodec.decode(TestPdus.encode("InitiatorAlias=a=b")));
    }

    @Test
    void emptyTextHasNoPairs() throws Exception {
        assertEquals(List.of(), KeyValueCodec.decode(new byte[0]));
    }

    @Test
    void nulPaddingBetweenPairsIsSkipped() throws Exception {
        byte[] text = "A=1\0\0\0B=2\0\0".getBytes(StandardCharsets.US_ASCII);
        assertEquals(List.of(new KeyValue("A", "1"), new KeyValue("B", "2")), KeyValueCodec.decode(text));
    }

    @Test
    void lastPairWithoutNulIsMalformed() {
        assertMalformed("A=1\0B=2".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void pairWithoutEqualsIsMalformed() {
        assertMalformed(TestPdus.encode("InitiatorName"));
    }

    @Test
    void keyOf63CharactersIsAcceptedAnd64IsNot() throws Exception {
        String key63 = "K" + "x".repeat(62);
        assertEquals(key63, KeyValueCodec.decode(TestPdus.encode(key63 + "=v")).getFirst().key());
        assertMalformed(TestPdus.encode("K" + "x".repeat(63) + "=v"));
    }

    @Test
    void keyMustStartWithCapitalLetterAndUseKeyCharacters() {
        assertMalformed(TestPdus.encode("initiatorName=x"));
        assertMalformed(TestPdus.encode("=x"));
        assertMalformed(TestPdus.encode("Initiator Name=x"));
    }

    @Test
    void extensionKeyCharactersAreAccepted() throws Exception {
        assertEquals(List.of(new KeyValue("X-com.example.Key_1+@", "1"), new KeyValue("X#NodeArchitecture", "a")),
                KeyValueCodec.decode(TestPdus.encode("X-com.example.Key_1+@=1", "X#NodeArchitecture=a")));
    }

    @Test
    void duplicateKeyIsMalformed() {
        assertMalformed(TestPdus.encode("MaxBurstLength=512", "MaxBurstLength=1024"));
    }

    @Test
    void valueLongerThanTheLimitIsMalformed() throws Exception {
        String longest = "v".repeat(KeyValueCodec.MAX_VALUE_LENGTH);
        assertEquals(longest, KeyValueCodec.decode(TestPdus.encode("K=" + longest)).getFirst().value());
        assertMalformed(TestPdus.encode("K=" + longest + "v"));
    }

    @Test
    void invalidUtf8ValueIsMalformed() {
        assertMalformed(new byte[] {'K', '=', (byte) 0xc3, 0});
    }

    @Test
    void moreThanTheMaximumNumberOfPairsIsMalformed() throws Exception {
        List<String> pairs = new ArrayList<>();
        for (int i = 0; i < KeyValueCodec.MAX_PAIRS; i++) {
            pairs.add("K" + i + "=1");
        }
        byte[] atLimit = TestPdus.encode(pairs.toArray(String[]::new));
        assertEquals(KeyValueCodec.MAX_PAIRS, KeyValueCodec.decode(atLimit).size());
        pairs.add("Kextra=1");
        assertMalformed(TestPdus.encode(pairs.toArray(String[]::new)));
    }

    @Test
    void encodeWritesNulTerminatedUtf8Pairs() {
        byte[] expected = "TargetAlias=Disque été\0A=\0".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(expected, KeyValueCodec.encode(
                List.of(new KeyValue("TargetAlias", "Disque été"), new KeyValue("A", ""))));
    }

    private static void assertMalformed(byte[] text) {
        assertThrows(TextFormatException.class, () -> KeyValueCodec.decode(text));
    }
}
