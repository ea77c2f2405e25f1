package dev.jtarget.backend.nbd;

import io.netty.buffer.ByteBuf;

/**
 * A request received by our server.
 *
 * @param flags   NBD_CMD_FLAG_* bits
 * @param type    NBD_CMD_* type
 * @param handle  echoed in the reply
 * @param offset  unsigned on the wire: a negative value means beyond 2^63, hence out of range
 * @param length  unsigned 32-bit length
 * @param payload the WRITE data (released by whoever consumes the command), or null
 * @param error   an error already decided while decoding (payload too large), or 0
 */
record NbdCommand(int flags, int type, long handle, long offset, long length, ByteBuf payload, int error) {

    void release() {
        if (payload != null) {
            payload.release();
        }
    }

    /** Payload bytes this command holds in memory while it executes (its WRITE data or its READ buffer). */
    long memoryCost() {
        return type == NbdProtocol.CMD_READ || type == NbdProtocol.CMD_WRITE ? length : 0;
    }

    String describe() {
        return NbdProtocol.commandName(type) + " " + Long.toUnsignedString(offset) + "+" + length;
    }
}
