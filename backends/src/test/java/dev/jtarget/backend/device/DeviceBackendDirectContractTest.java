package dev.jtarget.backend.device;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/**
 * The backend contract on loop devices opened with O_DIRECT: every transfer in whole logical blocks (the sector size
 * of the loop device) from aligned memory, callers' heap and unaligned direct buffers copied through bounce buffers.
 */
@Tag("integration")
class DeviceBackendDirectContractTest extends DeviceBackendContractTest {

    @Override
    DeviceBackendOptions options(Path device) {
        return DeviceBackendOptions.of(device).withDirect(true);
    }
}
