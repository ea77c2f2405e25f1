package dev.jtarget.backend.memory;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;

class MemoryBackendContractTest extends BlockBackendContract {
    @Override
    protected BlockBackend newBackend(long sizeBytes, int blockSize) {
        return new MemoryBackend(sizeBytes, blockSize);
    }
}
