package dev.jtarget.config;

import java.time.Duration;

/** Durations as the configuration writes them: whole milliseconds ({@code 2ms}) or seconds ({@code 15s}). */
final class Durations {

    private Durations() {
    }

    /** Parses text the schema's Duration type has already accepted. */
    static Duration parse(String text) {
        if (text.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(text, 0, text.length() - 2, 10));
        }
        if (text.endsWith("s")) {
            return Duration.ofSeconds(Long.parseLong(text, 0, text.length() - 1, 10));
        }
        throw new IllegalArgumentException("not a duration: '" + text + "'");
    }
}
