package dev.jtarget.scsi;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * REPORT SUPPORTED OPERATION CODES and REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-4 §6.35, §6.36), both
 * answered from {@link CommandTable} and the iSCSI task management functions.
 */
final class ReportSupportedCommands {
    private static final int ALL_COMMANDS = 0b000;
    private static final int ONE_OPCODE = 0b001;
    private static final int ONE_OPCODE_AND_SERVICE_ACTION = 0b010;
    private static final int ONE_OPCODE_SERVICE_ACTION_IF_ANY = 0b011;
    private static final int SUPPORTED_AS_STANDARD = 0b011;
    private static final int NOT_SUPPORTED = 0b001;
    private static final int TIMEOUTS_DESCRIPTOR_LENGTH = 12;

    /**
     * ABORT TASK, ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET and TARGET RESET: the functions RFC 7143
     * §11.5.1 makes mandatory, which the session layer carries out (ATS, ATSS, CTSS, LURS, TRS bits).
     */
    private static final int TASK_MANAGEMENT_FUNCTIONS = 0x80 | 0x40 | 0x10 | 0x08 | 0x02;

    private ReportSupportedCommands() {
    }

    static CompletableFuture<ScsiResponse> operationCodes(Request request) {
        byte[] cdb = request.cdb();
        boolean timeouts = Cdb.bit(cdb, 2, 7);
        int options = Cdb.bits(cdb, 2, 0, 3);
        int opcode = Cdb.u8(cdb, 3);
        int serviceAction = Cdb.u16(cdb, 4);
        byte[] data = switch (options) {
            case ALL_COMMANDS -> allCommands(timeouts);
            case ONE_OPCODE -> {
                if (CommandTable.hasServiceActions(opcode)) {
                    throw Cdb.invalidField(3, -1);
                }
                yield oneCommand(CommandTable.find(opcode, -1), timeouts);
            }
            case ONE_OPCODE_AND_SERVICE_ACTION -> {
                if (!CommandTable.hasServiceActions(opcode)) {
                    throw Cdb.invalidField(3, -1);
                }
                yield oneCommand(serviceAction > 0x1F ? null : CommandTable.find(opcode, serviceAction), timeouts);
            }
            case ONE_OPCODE_SERVICE_ACTION_IF_ANY -> oneCommand(!CommandTable.hasServiceActions(opcode)
                    ? CommandTable.find(opcode, -1)
                    : serviceAction > 0x1F ? null : CommandTable.find(opcode, serviceAction), timeouts);
            default -> throw Cdb.invalidField(2, 2);
        };
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, Cdb.u32(cdb, 6)));
    }

    private static byte[] allCommands(boolean timeouts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[4]);
        for (CommandSpec spec : CommandTable.all()) {
            byte[] d = new byte[8];
            d[0] = (byte) spec.opcode();
            if (spec.serviceAction() >= 0) {
                Cdb.put16(d, 2, spec.serviceAction());
            }
            d[5] = (byte) ((timeouts ? 0x02 : 0) | (spec.serviceAction() >= 0 ? 0x01 : 0)); // CTDP, SERVACTV
            Cdb.put16(d, 6, spec.cdbLength());
            out.writeBytes(d);
            if (timeouts) {
                out.writeBytes(timeoutsDescriptor());
            }
        }
        byte[] data = out.toByteArray();
        Cdb.put32(data, 0, data.length - 4);
        return data;
    }

    private static byte[] oneCommand(CommandSpec spec, boolean timeouts) {
        if (spec == null) {
            byte[] b = new byte[4];
            b[1] = NOT_SUPPORTED;
            return b;
        }
        int usageLength = spec.cdbLength();
        byte[] b = new byte[4 + usageLength + (timeouts ? TIMEOUTS_DESCRIPTOR_LENGTH : 0)];
        b[1] = (byte) ((timeouts ? 0x80 : 0) | SUPPORTED_AS_STANDARD);
        Cdb.put16(b, 2, usageLength);
        System.arraycopy(spec.usage(), 0, b, 4, usageLength);
        if (timeouts) {
            System.arraycopy(timeoutsDescriptor(), 0, b, 4 + usageLength, TIMEOUTS_DESCRIPTOR_LENGTH);
        }
        return b;
    }

    /** Command timeouts descriptor (SPC-4 §6.35.4) with both timeouts 0: "not specified". */
    private static byte[] timeoutsDescriptor() {
        byte[] b = new byte[TIMEOUTS_DESCRIPTOR_LENGTH];
        Cdb.put16(b, 0, TIMEOUTS_DESCRIPTOR_LENGTH - 2);
        return b;
    }

    /** REPD=1 asks for the 16-byte extended format (SPC-4 §6.36.3). */
    static CompletableFuture<ScsiResponse> taskManagementFunctions(Request request) {
        byte[] cdb = request.cdb();
        boolean extended = Cdb.bit(cdb, 2, 7);
        byte[] data = new byte[extended ? 16 : 4];
        data[0] = (byte) TASK_MANAGEMENT_FUNCTIONS;
        if (extended) {
            data[3] = 0x0C; // ADDITIONAL DATA LENGTH
        }
        return CompletableFuture.completedFuture(Transfers.dataIn(request.command(), data, Cdb.u32(cdb, 6)));
    }
}
