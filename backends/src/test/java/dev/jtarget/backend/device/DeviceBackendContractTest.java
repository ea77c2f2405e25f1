package dev.jtarget.backend.device;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/** The backend contract on loop devices whose sector size is the requested block size. */
@Tag("integration")
class DeviceBackendContractTest extends BlockBackendContract {
    private final List<LoopDevice> loops = new ArrayList<>();

    @BeforeEach
    void requireLoopDevices() {
        LoopDevice.assumeAvailable();
    }

    @Override
    protected BlockBackend newBackend(long sizeBytes, int blockSize) throws Exception {
        LoopDevice loop = LoopDevice.attach(sizeBytes, blockSize);
        loops.add(loop);
        return DeviceBackend.open(options(loop.device()));
    }

    /** How the backend opens the device: through the page cache here. */
    DeviceBackendOptions options(Path device) {
        return DeviceBackendOptions.of(device);
    }

    /** Runs before the contract closes the backends: the kernel detaches each loop device on its last close. */
    @AfterEach
    void detachLoopDevices() throws Exception {
        for (LoopDevice loop : loops) {
            loop.close();
        }
    }
}
