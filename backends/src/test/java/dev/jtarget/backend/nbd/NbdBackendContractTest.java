package dev.jtarget.backend.nbd;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;
import dev.jtarget.backend.memory.MemoryBackend;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/** The backend contract through the whole NBD path: NbdBackend, loopback TCP, our NbdServer, a memory disk. */
class NbdBackendContractTest extends BlockBackendContract {
    private final List<AutoCloseable> servers = new ArrayList<>();

    @Override
    protected BlockBackend newBackend(long sizeBytes, int blockSize) throws Exception {
        MemoryBackend disk = new MemoryBackend(sizeBytes, blockSize);
        NbdServer server = NbdServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Map.of("disk", disk));
        servers.add(disk);
        servers.add(server);
        return NbdBackend.connect(NbdUri.tcp("127.0.0.1", server.port(), "disk"), NbdClientOptions.defaults());
    }

    /** Runs before the contract closes the clients; they see their peer go and are closed while reconnecting. */
    @AfterEach
    void closeServers() throws Exception {
        for (int i = servers.size() - 1; i >= 0; i--) {
            servers.get(i).close();
        }
    }
}
