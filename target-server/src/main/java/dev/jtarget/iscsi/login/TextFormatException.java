package dev.jtarget.iscsi.login;

/** The data segment of a Login or Text Request is not well-formed key=value text (RFC 7143 §6.1). */
final class TextFormatException extends Exception {
    TextFormatException(String message) {
        super(message);
    }
}
