package dev.jtarget.iscsi.login;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses and writes the key=value text of Login and Text PDUs (RFC 7143 §6.1): UTF-8 {@code key=value} pairs, each
 * followed by one NUL, possibly spanning several PDUs (the caller joins them first).
 */
final class KeyValueCodec {
    /** RFC 7143 §6.1: a key-name must not exceed 63 characters. */
    static final int MAX_KEY_LENGTH = 63;
    /**
     * Individual values are limited to 255 bytes by §6.1 except where a key says otherwise; CHAP_C and CHAP_R carry
     * up to 1024 binary bytes, i.e. 2050 characters as hex. 8192 accepts every legal value and bounds the rest.
     */
    static final int MAX_VALUE_LENGTH = 8192;
    /** A real initiator sends about twenty keys per request; this bounds the work an adversary can cause. */
    static final int MAX_PAIRS = 256;

    private KeyValueCodec() {
    }

    /** Splits {@code text} into pairs, rejecting malformed text and duplicate keys (§6.2: a protocol error). */
    static List<KeyValue> decode(byte[] text) throws TextFormatException {
        List<KeyValue> pairs = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        int start = 0;
        while (start < text.length) {
            int end = indexOfNul(text, start);
            if (end < 0) {
                throw new TextFormatException("key=value pair is not NUL-terminated");
            }
            // Consecutive NULs carry no pair; some initiators pad the segment with them.
            if (end > start) {
                KeyValue pair = decodePair(text, start, end);
                if (!keys.add(pair.key())) {
                    throw new TextFormatException("duplicate key " + pair.key());
                }
                pairs.add(pair);
                if (pairs.size() > MAX_PAIRS) {
                    throw new TextFormatException("more than " + MAX_PAIRS + " key=value pairs");
                }
            }
            start = end + 1;
        }
        return pairs;
    }

    static byte[] encode(List<KeyValue> pairs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (KeyValue pair : pairs) {
            out.writeBytes(pair.key().getBytes(StandardCharsets.US_ASCII));
            out.write('=');
            out.writeBytes(pair.value().getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    private static KeyValue decodePair(byte[] text, int start, int end) throws TextFormatException {
        int equals = start;
        while (equals < end && text[equals] != '=') {
            equals++;
        }
        if (equals == end) {
            throw new TextFormatException("key=value pair without '='");
        }
        String key = decodeKey(text, start, equals);
        int valueLength = end - equals - 1;
        if (valueLength > MAX_VALUE_LENGTH) {
            throw new TextFormatException("value of " + key + " is longer than " + MAX_VALUE_LENGTH + " bytes");
        }
        try {
            String value = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(text, equals + 1, valueLength))
                    .toString();
            return new KeyValue(key, value);
        } catch (CharacterCodingException e) {
            throw new TextFormatException("value of " + key + " is not UTF-8");
        }
    }

    /**
     * §6.1: a key-name starts with a capital letter and continues with letters, digits, '.', '-', '+', '@' and '_'.
     * '#' is accepted too because public extension keys are named {@code X#<IANA-registered-string>} (§13.22).
     */
    private static String decodeKey(byte[] text, int start, int end) throws TextFormatException {
        int length = end - start;
        if (length == 0) {
            throw new TextFormatException("empty key");
        }
        if (length > MAX_KEY_LENGTH) {
            throw new TextFormatException("key longer than " + MAX_KEY_LENGTH + " characters");
        }
        if (text[start] < 'A' || text[start] > 'Z') {
            throw new TextFormatException("key does not start with a capital letter");
        }
        for (int i = start + 1; i < end; i++) {
            if (!isKeyCharacter(text[i])) {
                throw new TextFormatException("invalid character in key");
            }
        }
        return new String(text, start, length, StandardCharsets.US_ASCII);
    }

    private static boolean isKeyCharacter(byte b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
                || b == '.' || b == '-' || b == '+' || b == '@' || b == '_' || b == '#';
    }

    private static int indexOfNul(byte[] text, int from) {
        for (int i = from; i < text.length; i++) {
            if (text[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
