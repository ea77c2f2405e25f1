package dev.jtarget.backend.nbd;

/** The peer broke the NBD protocol (bad magic, impossible lengths, replies to requests never sent, ...). */
final class NbdProtocolException extends RuntimeException {
    NbdProtocolException(String message) {
        super(message);
    }
}
