package dev.jtarget.config;

import java.nio.charset.StandardCharsets;

/** A CHAP user name and secret. The secret never appears in {@link #toString()}, so it cannot reach a log. */
public record ChapCredentials(String user, String secret) {

    public byte[] secretBytes() {
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ChapCredentials[user=" + user + ", secret=<hidden>]";
    }
}
