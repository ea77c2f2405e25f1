package dev.jtarget.scsi;

import dev.jtarget.scsi.CommandSpec.Admission;
import dev.jtarget.scsi.CommandSpec.Sharing;
import dev.jtarget.scsi.CommandSpec.SharingRule;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every command the device server implements, with its CDB usage map (SPC-4 and SBC-3 CDB layouts). Bits we accept
 * but ignore (DPO, FUA_NV, RARC, GROUP NUMBER, IMMED of PRE-FETCH) are in the maps; bits of features we do not have
 * (ANCHOR, obsolete PBDATA/LBDATA, CMDDT, RelAdr) are not, so setting them is rejected.
 */
final class CommandTable {
    private static final List<CommandSpec> ALL;
    private static final Map<Integer, CommandSpec> BY_CODE = new HashMap<>();
    private static final boolean[] HAS_SERVICE_ACTIONS = new boolean[256];

    static {
        List<CommandSpec> specs = new ArrayList<>();
        specs.add(normal("TEST UNIT READY", Sharing.ALLOWED, DeviceCommands::testUnitReady, 0x00, 0, 0, 0, 0, 0));
        specs.add(always("REQUEST SENSE", DeviceCommands::requestSense, 0x03, 0x01, 0, 0, 0xFF, 0));
        specs.add(normal("READ(6)", Sharing.READ, ReadWriteCommands::read, 0x08, 0x1F, 0xFF, 0xFF, 0xFF, 0));
        specs.add(normal("WRITE(6)", Sharing.WRITE, ReadWriteCommands::write, 0x0A, 0x1F, 0xFF, 0xFF, 0xFF, 0));
        specs.add(always("INQUIRY", InquiryCommands::inquiry, 0x12, 0x01, 0xFF, 0xFF, 0xFF, 0));
        specs.add(normal("MODE SELECT(6)", Sharing.WRITE, ModeSelect::modeSelect, 0x15, 0x11, 0, 0, 0xFF, 0));
        specs.add(normal("RESERVE(6)", Sharing.ALLOWED, Reservations::reserve, 0x16, 0, 0, 0, 0, 0));
        specs.add(passesReservation("RELEASE(6)", Reservations::release, 0x17, 0, 0, 0, 0, 0));
        specs.add(normal("MODE SENSE(6)", Sharing.READ, ModeSense::modeSense, 0x1A, 0x08, 0xFF, 0xFF, 0xFF, 0));
        specs.add(normal("START STOP UNIT", DeviceCommands::startStopUnitSharing, DeviceCommands::startStopUnit,
                0x1B, 0x01, 0, 0x0F, 0xF7, 0));
        specs.add(normal("PREVENT ALLOW MEDIUM REMOVAL", DeviceCommands::preventAllowSharing,
                DeviceCommands::preventAllowMediumRemoval, 0x1E, 0, 0, 0, 0x03, 0));
        specs.add(normal("READ CAPACITY(10)", Sharing.ALLOWED, CapacityCommands::readCapacity10,
                0x25, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x01, 0));
        specs.add(normal("READ(10)", Sharing.READ, ReadWriteCommands::read,
                0x28, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        specs.add(normal("WRITE(10)", Sharing.WRITE, ReadWriteCommands::write,
                0x2A, 0xFA, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        specs.add(normal("WRITE AND VERIFY(10)", Sharing.WRITE, VerifyCommands::writeAndVerify,
                0x2E, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        specs.add(normal("VERIFY(10)", Sharing.READ, VerifyCommands::verify,
                0x2F, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        specs.add(normal("PRE-FETCH(10)", Sharing.READ, CacheCommands::preFetch,
                0x34, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        specs.add(normal("SYNCHRONIZE CACHE(10)", Sharing.WRITE, CacheCommands::synchronizeCache,
                0x35, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        specs.add(normal("READ DEFECT DATA(10)", Sharing.READ, ReadDefectData::readDefectData,
                0x37, 0, 0x1F, 0, 0, 0, 0, 0xFF, 0xFF, 0));
        specs.add(normal("WRITE SAME(10)", Sharing.WRITE, ProvisioningCommands::writeSame,
                0x41, 0xE8, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0));
        specs.add(normal("UNMAP", Sharing.WRITE, ProvisioningCommands::unmap,
                0x42, 0, 0, 0, 0, 0, 0x1F, 0xFF, 0xFF, 0));
        specs.add(normal("MODE SELECT(10)", Sharing.WRITE, ModeSelect::modeSelect,
                0x55, 0x11, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0));
        specs.add(normal("RESERVE(10)", Sharing.ALLOWED, Reservations::reserve, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        specs.add(passesReservation("RELEASE(10)", Reservations::release, 0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        specs.add(normal("PERSISTENT RESERVE IN", Sharing.ALLOWED, PersistentReserveIn::persistentReserveIn,
                0x5E, 0x1F, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0));
        specs.add(normal("PERSISTENT RESERVE OUT", Sharing.ALLOWED, PersistentReserveOut::persistentReserveOut,
                0x5F, 0x1F, 0xFF, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0));
        specs.add(normal("MODE SENSE(10)", Sharing.READ, ModeSense::modeSense,
                0x5A, 0x18, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0));
        specs.add(serviceAction("EXTENDED COPY(LID1)", Sharing.WRITE, ExtendedCopy::extendedCopy, 0x83, 0x00,
                0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        specs.add(serviceAction("RECEIVE COPY RESULTS(COPY STATUS)", Sharing.READ, ReceiveCopyResults::copyStatus,
                0x84, 0x00, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        specs.add(serviceAction("RECEIVE COPY RESULTS(OPERATING PARAMETERS)", Sharing.READ,
                ReceiveCopyResults::operatingParameters,
                0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        specs.add(normal("READ(16)", Sharing.READ, ReadWriteCommands::read, 0x88, 0xFE,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("COMPARE AND WRITE", Sharing.WRITE, CompareAndWrite::compareAndWrite, 0x89, 0xFA,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0x1F, 0));
        specs.add(normal("WRITE(16)", Sharing.WRITE, ReadWriteCommands::write, 0x8A, 0xFA,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("ORWRITE(16)", Sharing.WRITE, OrWrite::orWrite, 0x8B, 0xFA,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("WRITE AND VERIFY(16)", Sharing.WRITE, VerifyCommands::writeAndVerify, 0x8E, 0xF6,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("VERIFY(16)", Sharing.READ, VerifyCommands::verify, 0x8F, 0xF6,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("PRE-FETCH(16)", Sharing.READ, CacheCommands::preFetch, 0x90, 0x02,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("SYNCHRONIZE CACHE(16)", Sharing.WRITE, CacheCommands::synchronizeCache, 0x91, 0x06,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("WRITE SAME(16)", Sharing.WRITE, ProvisioningCommands::writeSame, 0x93, 0xE9,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("WRITE ATOMIC(16)", Sharing.WRITE, WriteAtomic::writeAtomic, 0x9C, 0xF8,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0x1F, 0));
        specs.add(serviceAction("READ CAPACITY(16)", Sharing.ALLOWED, CapacityCommands::readCapacity16, 0x9E, 0x10,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0));
        specs.add(serviceAction("GET LBA STATUS", Sharing.READ, ProvisioningCommands::getLbaStatus, 0x9E, 0x12,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        specs.add(always("REPORT LUNS", ReportLuns::reportLuns, 0xA0, 0, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        specs.add(serviceAction("REPORT SUPPORTED OPERATION CODES", Sharing.READ,
                ReportSupportedCommands::operationCodes,
                0xA3, 0x0C, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        specs.add(serviceAction("REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS", Sharing.READ,
                ReportSupportedCommands::taskManagementFunctions,
                0xA3, 0x0D, 0x80, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        specs.add(normal("READ DEFECT DATA(12)", Sharing.READ, ReadDefectData::readDefectData,
                0xB7, 0x1F, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0));
        specs.add(normal("READ(12)", Sharing.READ, ReadWriteCommands::read,
                0xA8, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("WRITE(12)", Sharing.WRITE, ReadWriteCommands::write,
                0xAA, 0xFA, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("WRITE AND VERIFY(12)", Sharing.WRITE, VerifyCommands::writeAndVerify,
                0xAE, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));
        specs.add(normal("VERIFY(12)", Sharing.READ, VerifyCommands::verify,
                0xAF, 0xF6, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0));

        specs.sort(Comparator.comparingInt(CommandSpec::opcode).thenComparingInt(CommandSpec::serviceAction));
        for (CommandSpec spec : specs) {
            if (BY_CODE.put(key(spec.opcode(), spec.serviceAction()), spec) != null) {
                throw new IllegalStateException("duplicate command " + spec.name());
            }
            if (spec.serviceAction() >= 0) {
                HAS_SERVICE_ACTIONS[spec.opcode()] = true;
            }
        }
        ALL = Collections.unmodifiableList(specs);
    }

    private CommandTable() {
    }

    /** The command the CDB asks for, or null when it is not supported. */
    static CommandSpec lookup(byte[] cdb) {
        int opcode = cdb[0] & 0xFF;
        if (HAS_SERVICE_ACTIONS[opcode]) {
            return cdb.length > 1 ? BY_CODE.get(key(opcode, cdb[1] & 0x1F)) : null;
        }
        return BY_CODE.get(key(opcode, -1));
    }

    /**
     * The failure for a CDB {@link #lookup} does not know: INVALID COMMAND OPERATION CODE, pointing at the opcode or
     * the service action. SPC-4 leaves the additional sense code for unknown service actions open (T10 reflector,
     * May 2008); initiators accept this one.
     */
    static CheckCondition unsupported(byte[] cdb) {
        boolean serviceAction = HAS_SERVICE_ACTIONS[cdb[0] & 0xFF];
        return new CheckCondition(Sense.INVALID_COMMAND_OPERATION_CODE
                .withCdbFieldPointer(serviceAction ? 1 : 0, serviceAction ? 4 : -1));
    }

    /** The command with this opcode and service action (-1 for none), or null. */
    static CommandSpec find(int opcode, int serviceAction) {
        return BY_CODE.get(key(opcode, serviceAction));
    }

    static boolean hasServiceActions(int opcode) {
        return HAS_SERVICE_ACTIONS[opcode];
    }

    /** Every supported command, ordered by opcode and service action. */
    static List<CommandSpec> all() {
        return ALL;
    }

    private static int key(int opcode, int serviceAction) {
        return opcode << 8 | serviceAction & 0xFF;
    }

    private static CommandSpec normal(String name, SharingRule sharing, CommandHandler handler, int... usage) {
        return new CommandSpec(name, Admission.NORMAL, sharing, -1, bytes(usage), handler);
    }

    private static CommandSpec always(String name, CommandHandler handler, int... usage) {
        return new CommandSpec(name, Admission.ALWAYS, Sharing.ALLOWED, -1, bytes(usage), handler);
    }

    /** RELEASE: persistent reservations do not block it either; it applies SPC-4's rules itself. */
    private static CommandSpec passesReservation(String name, CommandHandler handler, int... usage) {
        return new CommandSpec(name, Admission.PASSES_RESERVATION, Sharing.ALLOWED, -1, bytes(usage), handler);
    }

    private static CommandSpec serviceAction(String name, SharingRule sharing, CommandHandler handler, int opcode,
                                             int serviceAction, int... rest) {
        int[] usage = new int[rest.length + 2];
        usage[0] = opcode;
        usage[1] = serviceAction;
        System.arraycopy(rest, 0, usage, 2, rest.length);
        return new CommandSpec(name, Admission.NORMAL, sharing, serviceAction, bytes(usage), handler);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
