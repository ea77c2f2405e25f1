package dev.jtarget.backend.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A deliberately dumb, blocking NBD client for poking our server byte by byte, including with requests a proper client
 * would never send.
 */
final class RawNbdClient implements AutoCloseable {
    record OptionReply(int option, int type, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    record SimpleReply(int error, long handle) {
    }

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    RawNbdClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(5000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    /** Reads the greeting and answers with {@code clientFlags}; returns the server's handshake flags. */
    int handshake(int clientFlags) throws IOException {
        assertEquals(NbdProtocol.INIT_PASSWD, in.readLong());
        assertEquals(NbdProtocol.OPTS_MAGIC, in.readLong());
        int flags = in.readUnsignedShort();
        out.writeInt(clientFlags);
        out.flush();
        return flags;
    }

    void option(int option, byte[] data) throws IOException {
        out.writeLong(NbdProtocol.OPTS_MAGIC);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    /** NBD_OPT_INFO or NBD_OPT_GO data: the export name and the information types asked for. */
    static byte[] infoRequest(String name, int... infoTypes) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(4 + nameBytes.length + 2 + 2 * infoTypes.length);
        data.putInt(nameBytes.length).put(nameBytes).putShort((short) infoTypes.length);
        for (int type : infoTypes) {
            data.putShort((short) type);
        }
        return data.array();
    }

    OptionReply optionReply() throws IOException {
        assertEquals(NbdProtocol.OPTION_REPLY_MAGIC, in.readLong());
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** NBD_OPT_GO for {@code name}; reads the replies up to NBD_REP_ACK and returns the transmission flags. */
    int go(String name) throws IOException {
        option(NbdProtocol.OPT_GO, infoRequest(name, NbdProtocol.INFO_BLOCK_SIZE));
        int flags = -1;
        while (true) {
            OptionReply reply = optionReply();
            if (reply.type() == NbdProtocol.REP_ACK) {
                return flags;
            }
            assertEquals(NbdProtocol.REP_INFO, reply.type(), "reply to NBD_OPT_GO: " + reply.text());
            ByteBuffer info = ByteBuffer.wrap(reply.data());
            if (info.getShort() == NbdProtocol.INFO_EXPORT) {
                info.getLong();
                flags = info.getShort() & 0xffff;
            }
        }
    }

    void request(int type, int flags, long handle, long offset, long length, byte[] payload) throws IOException {
        out.writeInt(NbdProtocol.REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(handle);
        out.writeLong(offset);
        out.writeInt((int) length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    SimpleReply reply() throws IOException {
        assertEquals(NbdProtocol.SIMPLE_REPLY_MAGIC, in.readInt());
        return new SimpleReply(in.readInt(), in.readLong());
    }

    byte[] readFully(int length) throws IOException {
        byte[] data = new byte[length];
        in.readFully(data);
        return data;
    }

    long readLong() throws IOException {
        return in.readLong();
    }

    int readUnsignedShort() throws IOException {
        return in.readUnsignedShort();
    }

    /** True when the server closed the connection (end of stream) rather than sending more. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (EOFException e) {
            return true;
        } catch (IOException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
