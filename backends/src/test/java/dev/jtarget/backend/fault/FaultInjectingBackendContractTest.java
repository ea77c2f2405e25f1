package dev.jtarget.backend.fault;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.BlockBackendContract;
import dev.jtarget.backend.memory.MemoryBackend;

/** While no failure is armed the decorator must be invisible. */
class FaultInjectingBackendContractTest extends BlockBackendContract {
    @Override
    protected BlockBackend newBackend(long sizeBytes, int blockSize) {
        return new FaultInjectingBackend(new MemoryBackend(sizeBytes, blockSize));
    }
}
