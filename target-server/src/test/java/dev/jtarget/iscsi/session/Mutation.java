package dev.jtarget.iscsi.session;

import dev.jtarget.testing.Gen;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * One change to a recorded session, the way a buggy or hostile initiator would get it wrong: a flipped bit, a header
 * field set to a boundary value, another opcode, a PDU cut short, dropped, repeated or moved, garbage in between.
 * Indexes wrap around the session's PDUs and positions around a PDU's bytes, so every mutation applies to every seed.
 */
sealed interface Mutation {
    /** The 4-byte header fields (RFC 7143 §11.2.1): lengths, LUN, ITT, TTT/length, CmdSN, ExpStatSN, ... */
    List<Integer> HEADER_WORDS = List.of(4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44);

    void apply(List<byte[]> pdus);

    /** Field values that sit on a limit of some header field or of what the target accepts. */
    List<Integer> BOUNDARIES = List.of(0, 1, -1, 48, 512, 8192, 8193, 262144, 262145, 0x00ff_ffff, 0x0100_0000,
            Integer.MAX_VALUE, Integer.MIN_VALUE);

    /** Any one mutation, each kind equally likely. */
    static Mutation any(Gen gen) {
        return gen.oneOf(
                () -> new FlipBit(index(gen), index(gen), gen.between(0, 7)),
                () -> new SetHeaderByte(index(gen), gen.between(0, 47), gen.anyByte()),
                () -> new SetHeaderWord(index(gen), gen.choice(HEADER_WORDS),
                        gen.oneOf(gen::anyInt, () -> gen.choice(BOUNDARIES))),
                () -> new SetOpcode(index(gen), gen.between(0, 0x3f), gen.bool()),
                () -> new Truncate(index(gen), index(gen)),
                () -> new Drop(index(gen)),
                () -> new Duplicate(index(gen)),
                () -> new Swap(index(gen), index(gen)),
                () -> new InsertGarbage(index(gen), gen.bytes(1, 96)));
    }

    /** A PDU index or byte position; wrapped around what it applies to. */
    private static int index(Gen gen) {
        return gen.between(0, 1 << 16);
    }

    private static byte[] pduAt(List<byte[]> pdus, int index) {
        return pdus.get(Math.floorMod(index, pdus.size()));
    }

    record FlipBit(int pdu, int position, int bit) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            byte[] bytes = pduAt(pdus, pdu);
            bytes[Math.floorMod(position, bytes.length)] ^= (byte) (1 << bit);
        }
    }

    record SetHeaderByte(int pdu, int offset, byte value) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            byte[] bytes = pduAt(pdus, pdu);
            if (offset < bytes.length) {
                bytes[offset] = value;
            }
        }
    }

    record SetHeaderWord(int pdu, int offset, int value) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            byte[] bytes = pduAt(pdus, pdu);
            if (offset + 4 <= bytes.length) {
                ByteBuffer.wrap(bytes).putInt(offset, value);
            }
        }
    }

    record SetOpcode(int pdu, int opcode, boolean immediate) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            pduAt(pdus, pdu)[0] = (byte) ((immediate ? 0x40 : 0) | opcode);
        }
    }

    /** Cuts a PDU short (keeping at least a byte): the stream loses its PDU boundaries from there on. */
    record Truncate(int pdu, int keep) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            int at = Math.floorMod(pdu, pdus.size());
            byte[] bytes = pdus.get(at);
            if (bytes.length > 1) {
                pdus.set(at, Arrays.copyOf(bytes, 1 + Math.floorMod(keep, bytes.length - 1)));
            }
        }
    }

    record Drop(int pdu) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            if (pdus.size() > 1) {
                pdus.remove(Math.floorMod(pdu, pdus.size()));
            }
        }
    }

    record Duplicate(int pdu) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            int at = Math.floorMod(pdu, pdus.size());
            pdus.add(at, pdus.get(at).clone());
        }
    }

    record Swap(int first, int second) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            Collections.swap(pdus, Math.floorMod(first, pdus.size()), Math.floorMod(second, pdus.size()));
        }
    }

    record InsertGarbage(int at, byte[] garbage) implements Mutation {
        @Override
        public void apply(List<byte[]> pdus) {
            pdus.add(Math.floorMod(at, pdus.size() + 1), garbage.clone());
        }

        @Override
        public String toString() {
            return "InsertGarbage[at=" + at + ", garbage=" + java.util.HexFormat.of().formatHex(garbage) + "]";
        }
    }
}
