package dev.jtarget.iscsi.login;

import java.io.Serial;
import java.security.SecureRandom;

/** Makes our CHAP identifier 0x2a and our challenge the bytes 0x00..0x0f, for known-answer tests. */
final class FixedRandom extends SecureRandom {
    @Serial
    private static final long serialVersionUID = 1L;
    static final int IDENTIFIER = 0x2a;

    @Override
    public int nextInt(int bound) {
        return IDENTIFIER;
    }

    @Override
    public void nextBytes(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
    }
}
