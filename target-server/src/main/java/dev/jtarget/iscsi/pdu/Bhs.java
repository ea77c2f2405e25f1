package dev.jtarget.iscsi.pdu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The 48-byte Basic Header Segment of a PDU (RFC 7143 §11.2.1), with accessors named after the fields.
 *
 * <p>Most fields sit at the same offset in every PDU that has them (ITT at 16, CmdSN/StatSN at 24, ...), so one
 * class with named accessors serves all opcodes; the opcode-specific meaning of a shared offset is spelled out in
 * the accessor's name (e.g. {@link #expectedDataTransferLength()} and {@link #targetTransferTag()} are both
 * bytes 20-23). Mutable on purpose: responses are built field by field without garbage.
 */
public final class Bhs {
    public static final int LENGTH = 48;
    /** The reserved tag value (RFC 7143 §11.2.1.8 / §11.2.1.5). */
    public static final int RESERVED_TAG = 0xffffffff;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] bytes;

    public Bhs() {
        this.bytes = new byte[LENGTH];
    }

    /** Wraps (does not copy) exactly 48 bytes. */
    public Bhs(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a BHS is 48 bytes, got " + bytes.length);
        }
        this.bytes = bytes;
    }

    /** A response header for {@code opcode} with the F bit set and every other field zero. */
    public static Bhs forOpcode(int opcode) {
        Bhs bhs = new Bhs();
        bhs.setOpcode(opcode);
        bhs.setFinal(true);
        return bhs;
    }

    public byte[] bytes() {
        return bytes;
    }

    public Bhs copy() {
        return new Bhs(Arrays.copyOf(bytes, LENGTH));
    }

    // ---- byte 0-7: common to all PDUs ----

    public int opcode() {
        return bytes[0] & 0x3f;
    }

    public void setOpcode(int opcode) {
        bytes[0] = (byte) ((bytes[0] & 0x40) | (opcode & 0x3f));
    }

    /** The I bit of a request: delivered for immediate delivery, outside CmdSN ordering. */
    public boolean immediate() {
        return (bytes[0] & 0x40) != 0;
    }

    public void setImmediate(boolean immediate) {
        bytes[0] = (byte) (immediate ? bytes[0] | 0x40 : bytes[0] & ~0x40);
    }

    /** Byte 1 as a whole: the F bit and the opcode-specific flags. */
    public int flags() {
        return bytes[1] & 0xff;
    }

    public void setFlags(int flags) {
        bytes[1] = (byte) flags;
    }

    public boolean isFinal() {
        return (bytes[1] & 0x80) != 0;
    }

    public void setFinal(boolean value) {
        setFlagBit(0x80, value);
    }

    public boolean flagBit(int mask) {
        return (bytes[1] & mask) != 0;
    }

    public void setFlagBit(int mask, boolean value) {
        bytes[1] = (byte) (value ? bytes[1] | mask : bytes[1] & ~mask);
    }

    public int byte2() {
        return bytes[2] & 0xff;
    }

    public void setByte2(int value) {
        bytes[2] = (byte) value;
    }

    public int byte3() {
        return bytes[3] & 0xff;
    }

    public void setByte3(int value) {
        bytes[3] = (byte) value;
    }

    /** TotalAHSLength in 4-byte words. */
    public int totalAhsLength() {
        return bytes[4] & 0xff;
    }

    public void setTotalAhsLength(int words) {
        bytes[4] = (byte) words;
    }

    /** DataSegmentLength in bytes, without padding. */
    public int dataSegmentLength() {
        return ((bytes[5] & 0xff) << 16) | ((bytes[6] & 0xff) << 8) | (bytes[7] & 0xff);
    }

    public void setDataSegmentLength(int length) {
        if (length < 0 || length > 0xffffff) {
            throw new IllegalArgumentException("data segment length out of range: " + length);
        }
        bytes[5] = (byte) (length >>> 16);
        bytes[6] = (byte) (length >>> 8);
        bytes[7] = (byte) length;
    }

    // ---- bytes 8-15 ----

    /** The 8-byte LUN field as the initiator encoded it (SAM-5 LUN structure). */
    public long lun() {
        return (long) LONG.get(bytes, 8);
    }

    public void setLun(long lun) {
        LONG.set(bytes, 8, lun);
    }

    /** Login: the 6-byte ISID as a number. */
    public long isid() {
        return ((long) LONG.get(bytes, 8)) >>> 16;
    }

    public void setIsid(long isid) {
        for (int i = 0; i < 6; i++) {
            bytes[8 + i] = (byte) (isid >>> (8 * (5 - i)));
        }
    }

    /** Login: Target Session Identifying Handle. */
    public int tsih() {
        return (short) SHORT.get(bytes, 14) & 0xffff;
    }

    public void setTsih(int tsih) {
        SHORT.set(bytes, 14, (short) tsih);
    }

    // ---- bytes 16-47 ----

    public int initiatorTaskTag() {
        return getInt(16);
    }

    public void setInitiatorTaskTag(int itt) {
        setInt(16, itt);
    }

    /** SCSI Command: Expected Data Transfer Length (bytes 20-23). */
    public int expectedDataTransferLength() {
        return getInt(20);
    }

    /** NOP, Text, Data-Out, Data-In, R2T: Target Transfer Tag (bytes 20-23). Task management: Referenced Task Tag. */
    public int targetTransferTag() {
        return getInt(20);
    }

    public void setTargetTransferTag(int ttt) {
        setInt(20, ttt);
    }

    /** Login and Logout: Connection ID (bytes 20-21). */
    public int connectionId() {
        return (short) SHORT.get(bytes, 20) & 0xffff;
    }

    public void setConnectionId(int cid) {
        SHORT.set(bytes, 20, (short) cid);
    }

    /** Requests: CmdSN. */
    public int cmdSn() {
        return getInt(24);
    }

    public void setCmdSn(int value) {
        setInt(24, value);
    }

    /** Responses: StatSN. */
    public int statSn() {
        return getInt(24);
    }

    public void setStatSn(int value) {
        setInt(24, value);
    }

    /** Requests: ExpStatSN. */
    public int expStatSn() {
        return getInt(28);
    }

    public void setExpStatSn(int value) {
        setInt(28, value);
    }

    /** Responses: ExpCmdSN. */
    public int expCmdSn() {
        return getInt(28);
    }

    public void setExpCmdSn(int value) {
        setInt(28, value);
    }

    /** Responses: MaxCmdSN. */
    public int maxCmdSn() {
        return getInt(32);
    }

    public void setMaxCmdSn(int value) {
        setInt(32, value);
    }

    /** Data-Out/Data-In: DataSN; R2T: R2TSN; SCSI Response: ExpDataSN (bytes 36-39). */
    public int dataSn() {
        return getInt(36);
    }

    public void setDataSn(int value) {
        setInt(36, value);
    }

    /** Data-Out/Data-In/R2T: Buffer Offset (bytes 40-43). */
    public int bufferOffset() {
        return getInt(40);
    }

    public void setBufferOffset(int value) {
        setInt(40, value);
    }

    /** Data-In/SCSI Response: Residual Count; R2T: Desired Data Transfer Length (bytes 44-47). */
    public int residualCount() {
        return getInt(44);
    }

    public void setResidualCount(int value) {
        setInt(44, value);
    }

    /** SCSI Command: the 16-byte CDB field (bytes 32-47); an extended CDB continues in an AHS. */
    public byte[] cdb() {
        return Arrays.copyOfRange(bytes, 32, 48);
    }

    public int getInt(int offset) {
        return (int) INT.get(bytes, offset);
    }

    public void setInt(int offset, int value) {
        INT.set(bytes, offset, value);
    }

    @Override
    public String toString() {
        return Opcode.name(opcode()) + " itt=0x" + Integer.toHexString(initiatorTaskTag())
                + " dsl=" + dataSegmentLength();
    }
}
