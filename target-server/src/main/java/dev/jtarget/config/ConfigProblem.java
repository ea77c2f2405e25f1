package dev.jtarget.config;

import java.nio.file.Path;

/**
 * One thing wrong with a configuration file, located so that an editor can jump to it.
 *
 * @param file    the file as the user named it
 * @param line    1-based line, or 0 when the problem is about the whole file (for example it cannot be read)
 * @param column  1-based column, or 0 together with {@code line}
 * @param message what is wrong, in words a user understands; never contains a CHAP secret
 */
public record ConfigProblem(Path file, int line, int column, String message) {

    /** {@code FILE:LINE:COL: message}, or {@code FILE: message} when there is no position. */
    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ":" + column + ": " + message : file + ": " + message;
    }
}
