package dev.jtarget.backend.delay;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;
import dev.jtarget.backend.memory.MemoryBackend;
import java.time.Duration;

class DelayedBackendContractTest extends BlockBackendContract {
    @Override
    protected BlockBackend newBackend(long sizeBytes, int blockSize) {
        return new DelayedBackend(new MemoryBackend(sizeBytes, blockSize), Duration.ofMillis(1), Duration.ofMillis(1));
    }
}
