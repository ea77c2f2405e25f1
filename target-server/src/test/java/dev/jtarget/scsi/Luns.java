package dev.jtarget.scsi;

import dev.jtarget.backend.BlockBackend;
import dev.jtarget.backend.memory.MemoryBackend;
import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.LunConfig;
import java.util.Arrays;
import java.util.List;

/** Logical units and targets on memory backends for tests. */
final class Luns {
    static final int BLOCK_SIZE = 512;
    static final long BLOCKS = 2048; // 1 MiB

    private Luns() {
    }

    static LogicalUnit lun(int id, BlockBackend backend, boolean writeCache, boolean readOnly) {
        return LogicalUnit.create(Initiator.TARGET_NAME,
                new LunConfig(id, writeCache, backend.blockSize(), readOnly,
                        new BackendConfig.Memory(backend.sizeBytes())), backend);
    }

    static LogicalUnit memoryLun(int id) {
        return lun(id, new MemoryBackend(BLOCKS * BLOCK_SIZE, BLOCK_SIZE), true, false);
    }

    /** A 1 MiB memory disk of {@link #BLOCK_SIZE}-byte logical blocks on {@code physicalBlockSize}-byte physical ones. */
    static LogicalUnit physicalBlockLun(int id, int physicalBlockSize) {
        return LogicalUnit.create(Initiator.TARGET_NAME, new LunConfig(id, true, BLOCK_SIZE, physicalBlockSize, false,
                new BackendConfig.Memory(BLOCKS * BLOCK_SIZE)), new MemoryBackend(BLOCKS * BLOCK_SIZE, BLOCK_SIZE));
    }

    /** LUN 0 on a 1 MiB memory disk with 512-byte blocks and the write cache on. */
    static ScsiTarget target() {
        return new ScsiTarget(Initiator.TARGET_NAME, List.of(memoryLun(0)));
    }

    static ScsiTarget target(LogicalUnit... luns) {
        return new ScsiTarget(Initiator.TARGET_NAME, List.of(luns));
    }

    /** {@code blocks} blocks of {@link #BLOCK_SIZE} bytes, every byte {@code value}. */
    static byte[] filled(int blocks, int value) {
        byte[] b = new byte[blocks * BLOCK_SIZE];
        Arrays.fill(b, (byte) value);
        return b;
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >> 9));
        }
        return b;
    }
}
