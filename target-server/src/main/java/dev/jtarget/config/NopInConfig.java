package dev.jtarget.config;

import java.time.Duration;

/**
 * The keep-alive of {@code <nop-in>}: after {@code interval} of silence the server pings with a NOP-In, after
 * {@code timeout} more it closes the connection.
 */
public record NopInConfig(Duration interval, Duration timeout) {
    /** The shortest interval and timeout: the server looks at its connections about once a second. */
    public static final Duration MINIMUM = Duration.ofSeconds(1);
    public static final NopInConfig DEFAULT = new NopInConfig(Duration.ofSeconds(15), Duration.ofSeconds(30));
}
