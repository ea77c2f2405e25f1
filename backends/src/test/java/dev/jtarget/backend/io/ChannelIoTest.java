package dev.jtarget.backend.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jtarget.backend.BackendException.Kind;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ChannelIoTest {
    private static final Predicate<Throwable> NO_NATIVE_SIGNAL = failure -> false;

    private static Kind kindOf(Throwable failure, Kind ioKind) {
        return ChannelIo.classify("op", failure, ioKind, NO_NATIVE_SIGNAL).kind();
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
    void aBackendsOwnOutOfSpaceSignalIsRecognisedAnywhereInTheCauseChain() {
        IOException nativeEnospc = new IOException("errno 28");
        Kind kind = ChannelIo.classify("op", new IOException("wrapped", nativeEnospc), Kind.WRITE_ERROR,
                failure -> failure == nativeEnospc).kind();
        assertEquals(Kind.NO_SPACE, kind);
    }
}
