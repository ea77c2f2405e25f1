package dev.jtarget.backend.nbd;

/**
 * Numbers of the Network Block Device protocol ({@code doc/proto.md} of the NetworkBlockDevice/nbd repository), shared
 * by our client ({@link NbdBackend}) and our peer server ({@link NbdServer}). Everything on the wire is big-endian.
 */
final class NbdProtocol {
    private NbdProtocol() {
    }

    /** The IANA-registered port for newstyle negotiation. */
    static final int DEFAULT_PORT = 10809;

    // Handshake.
    /** "NBDMAGIC", the first 8 bytes a server sends. */
    static final long INIT_PASSWD = 0x4e42444d41474943L;
    /** "IHAVEOPT": newstyle greeting, and the prefix of every option the client sends. */
    static final long OPTS_MAGIC = 0x49484156454F5054L;
    /** The oldstyle greeting, which we do not speak: it has no export names and no option haggling. */
    static final long CLISERV_MAGIC = 0x00420281861253L;
    /** Prefix of every fixed-newstyle option reply. */
    static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;

    static final int FLAG_FIXED_NEWSTYLE = 1;
    static final int FLAG_NO_ZEROES = 1 << 1;
    static final int FLAG_C_FIXED_NEWSTYLE = 1;
    static final int FLAG_C_NO_ZEROES = 1 << 1;

    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;

    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    /** Error replies have bit 31 set. */
    static final int REP_FLAG_ERROR = 1 << 31;
    static final int REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
    static final int REP_ERR_POLICY = REP_FLAG_ERROR | 2;
    static final int REP_ERR_INVALID = REP_FLAG_ERROR | 3;
    static final int REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;
    static final int REP_ERR_SHUTDOWN = REP_FLAG_ERROR | 7;
    static final int REP_ERR_BLOCK_SIZE_REQD = REP_FLAG_ERROR | 8;

    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    /** Size of the reply to NBD_OPT_EXPORT_NAME without the 124 reserved zero bytes. */
    static final int EXPORT_NAME_REPLY_BYTES = 10;
    static final int EXPORT_NAME_REPLY_ZEROES = 124;
    /** Strings (export names, descriptions, messages) MUST be no longer than this. */
    static final int MAX_STRING_BYTES = 4096;

    // Transmission flags, sent with the export size.
    static final int FLAG_HAS_FLAGS = 1;
    static final int FLAG_READ_ONLY = 1 << 1;
    static final int FLAG_SEND_FLUSH = 1 << 2;
    static final int FLAG_SEND_FUA = 1 << 3;
    static final int FLAG_SEND_TRIM = 1 << 5;
    static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
    static final int FLAG_CAN_MULTI_CONN = 1 << 8;

    // Transmission phase.
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    /** magic(4) flags(2) type(2) handle(8) offset(8) length(4). */
    static final int REQUEST_HEADER_BYTES = 28;
    /** magic(4) error(4) handle(8). */
    static final int SIMPLE_REPLY_HEADER_BYTES = 16;

    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_WRITE_ZEROES = 6;

    static final int CMD_FLAG_FUA = 1;
    /** On WRITE_ZEROES: the range must stay allocated (no hole punched). */
    static final int CMD_FLAG_NO_HOLE = 1 << 1;

    // Error values (the spec fixes these to the common Linux errno numbers).
    static final int EPERM = 1;
    static final int EIO = 5;
    static final int ENOMEM = 12;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    /** Not in the spec's list, but servers backed by read-only files pass it through. */
    static final int EROFS = 30;
    static final int EOVERFLOW = 75;
    static final int ESHUTDOWN = 108;

    /**
     * Without an NBD_INFO_BLOCK_SIZE advertisement the spec tells interoperable clients to stay within 32 MiB per
     * READ or WRITE; we also use it as our own server's payload limit.
     */
    static final int DEFAULT_MAX_PAYLOAD = 32 << 20;

    static String commandName(int type) {
        return switch (type) {
            case CMD_READ -> "READ";
            case CMD_WRITE -> "WRITE";
            case CMD_DISC -> "DISC";
            case CMD_FLUSH -> "FLUSH";
            case CMD_TRIM -> "TRIM";
            case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
            default -> "command " + type;
        };
    }

    static String errorName(int error) {
        return switch (error) {
            case EPERM -> "EPERM";
            case EIO -> "EIO";
            case ENOMEM -> "ENOMEM";
            case EINVAL -> "EINVAL";
            case ENOSPC -> "ENOSPC";
            case EROFS -> "EROFS";
            case EOVERFLOW -> "EOVERFLOW";
            case ESHUTDOWN -> "ESHUTDOWN";
            default -> "error " + error;
        };
    }

    static String replyName(int replyType) {
        return switch (replyType) {
            case REP_ACK -> "NBD_REP_ACK";
            case REP_SERVER -> "NBD_REP_SERVER";
            case REP_INFO -> "NBD_REP_INFO";
            case REP_ERR_UNSUP -> "NBD_REP_ERR_UNSUP";
            case REP_ERR_POLICY -> "NBD_REP_ERR_POLICY";
            case REP_ERR_INVALID -> "NBD_REP_ERR_INVALID";
            case REP_ERR_UNKNOWN -> "NBD_REP_ERR_UNKNOWN";
            case REP_ERR_SHUTDOWN -> "NBD_REP_ERR_SHUTDOWN";
            case REP_ERR_BLOCK_SIZE_REQD -> "NBD_REP_ERR_BLOCK_SIZE_REQD";
            default -> "reply type 0x" + Integer.toHexString(replyType);
        };
    }
}
