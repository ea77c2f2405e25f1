package dev.jtarget.backend.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.backend.BackendException.Kind;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

class ChannelIoTest {
    private static Kind kindOf(Throwable failure, Kind ioKind) {
        return ChannelIo.classify("op", failure, ioKind).kind();
    }

    @Test
    void ioFailuresMapToTheKindTheInitiatorMustBeTold() {
        assertEquals(Kind.NO_SPACE, kindOf(new IOException("No space left on device"), Kind.WRITE_ERROR));
        assertEquals(Kind.NO_SPACE, kindOf(new IOException("an earlier flush failed",
                new IOException("Disk quota exceeded")), Kind.WRITE_ERROR));
        assertEquals(Kind.WRITE_ERROR, kindOf(new IOException("Input/output error"), Kind.WRITE_ERROR));
        assertEquals(Kind.READ_ERROR, kindOf(new IOException("Input/output error"), Kind.READ_ERROR));
        assertEquals(Kind.NOT_READY, kindOf(new ClosedChannelException(), Kind.READ_ERROR));
    }

    @Test
    void anOutOfSpaceErrnoOfALibcCallIsRecognisedAnywhereInTheCauseChain() {
        assertEquals(Kind.NO_SPACE, kindOf(new IOException("wrapped",
                new Libc.ErrnoException("fallocate", Libc.ENOSPC)), Kind.WRITE_ERROR));
        assertEquals(Kind.NO_SPACE, kindOf(new Libc.ErrnoException("pwrite", Libc.EDQUOT), Kind.WRITE_ERROR));
        assertEquals(Kind.WRITE_ERROR, kindOf(new Libc.ErrnoException("pwrite", Libc.EINVAL), Kind.WRITE_ERROR));
    }
}
