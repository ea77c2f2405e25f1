package dev.jtarget.iscsi.session;

import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_FINAL;
import static dev.jtarget.iscsi.initiator.TestInitiator.FLAG_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.jtarget.iscsi.initiator.Cdbs;
import dev.jtarget.iscsi.initiator.RequestPdu;
import dev.jtarget.iscsi.initiator.ResponsePdu;
import dev.jtarget.iscsi.initiator.ScsiResult;
import dev.jtarget.iscsi.initiator.SocketTransport;
import dev.jtarget.iscsi.initiator.TestInitiator;
import dev.jtarget.iscsi.pdu.Opcode;
import dev.jtarget.scsi.ScsiResponse;
import dev.jtarget.server.LoopbackServer;
import dev.jtarget.server.ServerLimits;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LOGICAL UNIT RESET on the real server, whose sessions run on different event loops: the abort is carried to the
 * other session's loop and the issuer's answer back to its own. The server's I/O group has at least two loops and
 * hands connections out in turn, so two connections made one after the other land on different loops.
 */
class TaskManagementAcrossEventLoopsTest {
    @TempDir
    Path dir;

    private LoopbackServer server;
    private long nextIsid = 0x80_3000_0001L;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theResetIsAnsweredOnlyAfterTheOtherSessionsWriteHasReceivedItsDataAndEnded() throws Exception {
        server = LoopbackServer.start(dir, "1MiB", ServerLimits.DEFAULTS);
        try (TestInitiator resetting = loggedIn(); TestInitiator other = loggedIn("ImmediateData=No",
                "InitialR2T=Yes")) {
            RequestPdu write = other.command(Cdbs.write10(0, 8), FLAG_FINAL | FLAG_WRITE, 4096, new byte[0]);
            other.send(write);
            ResponsePdu r2t = other.receive();
            assertEquals(Opcode.R2T, r2t.opcode());

            RequestPdu reset = resetting.taskManagement(TaskManagementFunctions.LOGICAL_UNIT_RESET, -1, 0);
            resetting.send(reset);
            assertNull(resetting.poll(Duration.ofMillis(300)), "the write still owes the data of its R2T");

            other.send(other.dataOut(write.bhs().initiatorTaskTag(), r2t.bhs().targetTransferTag(), 0, 0,
                    new byte[4096], true));
            ResponsePdu aborted = other.receive();
            assertEquals(write.bhs().initiatorTaskTag(), aborted.itt());
            assertEquals(ScsiResponse.TASK_ABORTED, aborted.status());
            ResponsePdu answer = resetting.receive();
            assertEquals(reset.bhs().initiatorTaskTag(), answer.itt());
            assertEquals(TaskManagementFunctions.FUNCTION_COMPLETE, answer.reason());
            assertEquals(ScsiResult.CHECK_CONDITION, other.testUnitReady().status(), "29/03 follows");
            assertEquals(ScsiResult.GOOD, other.testUnitReady().status());
        }
    }

    private TestInitiator loggedIn(String... keys) {
        TestInitiator initiator = new TestInitiator(new SocketTransport(server.address()), nextIsid++, 512);
        assertEquals(0, initiator.login(LoopbackServer.TARGET_NAME, keys).loginStatus());
        initiator.clearUnitAttention();
        return initiator;
    }
}
