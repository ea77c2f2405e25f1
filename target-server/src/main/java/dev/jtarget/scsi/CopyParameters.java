package dev.jtarget.scsi;

import java.util.ArrayList;
import java.util.List;

/**
 * The parameter list of EXTENDED COPY (LID1) (SPC-4 §6.4.3), checked and parsed: the list identifier and its usage,
 * the target descriptors (only identification descriptor target descriptors, E4h, naming a logical unit by its NAA
 * designator) and the segment descriptors (only block device to block device, 02h).
 *
 * @param targets  the LOGICAL UNIT each target descriptor names, in order; null where it names none of this
 *                 target's logical units (a segment using it is aborted: COPY TARGET DEVICE NOT REACHABLE)
 * @param segments the block-to-block segments, in order
 */
record CopyParameters(int listIdentifier, int listIdUsage, List<LogicalUnit> targets, List<Segment> segments) {

    static final int MAX_TARGET_DESCRIPTORS = 8;
    static final int MAX_SEGMENT_DESCRIPTORS = 16;
    /** Bounds the target plus segment descriptor lists: room for the maximum count of each. */
    static final int MAX_DESCRIPTOR_LIST_LENGTH = 1024;
    static final int HEADER_LENGTH = 16;
    static final int IDENTIFICATION_DESCRIPTOR = 0xE4;
    static final int BLOCK_TO_BLOCK = 0x02;
    /** LIST ID USAGE 10b and 11b: the copy manager holds no results for RECEIVE COPY RESULTS. */
    static final int LIST_ID_USAGE_NOT_HELD = 0b10;
    private static final int LIST_ID_USAGE_NO_LIST_ID = 0b11;
    private static final int TARGET_DESCRIPTOR_LENGTH = 32;
    private static final int BLOCK_TO_BLOCK_LENGTH = 28;
    private static final int CODE_SET_BINARY = 0x1;
    private static final int TYPE_NAA = 0x3;

    /**
     * One block device to block device segment.
     *
     * @param destinationCount DC: NUMBER OF BLOCKS counts blocks of the destination, not of the source
     */
    record Segment(int sourceIndex, int destinationIndex, boolean destinationCount, int blocks, long sourceLba,
                   long destinationLba) {
    }

    /**
     * Parses {@code list}, all of the parameter list. Errors follow SPC-4 §6.4.3: lengths that do not fit the list
     * or the limits are PARAMETER LIST LENGTH ERROR, too many descriptors and unsupported descriptor types have
     * their own additional sense codes.
     */
    static CopyParameters parse(byte[] list, List<LogicalUnit> luns) {
        if (list.length < HEADER_LENGTH) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        int targetListLength = Cdb.u16(list, 2);
        long segmentListLength = Cdb.u32(list, 8);
        long inlineDataLength = Cdb.u32(list, 12);
        if (HEADER_LENGTH + targetListLength + segmentListLength + inlineDataLength > list.length
                || targetListLength + segmentListLength > MAX_DESCRIPTOR_LIST_LENGTH) {
            throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (inlineDataLength != 0) {
            throw invalidParameter(12); // MAXIMUM INLINE DATA LENGTH is 0: no segment type we support uses it
        }
        int listIdUsage = Cdb.bits(list, 1, 3, 2);
        if (listIdUsage == LIST_ID_USAGE_NO_LIST_ID && Cdb.u8(list, 0) != 0) {
            throw invalidParameter(0);
        }
        List<LogicalUnit> targets = targets(list, HEADER_LENGTH, targetListLength, luns);
        List<Segment> segments = segments(list, HEADER_LENGTH + targetListLength, (int) segmentListLength);
        return new CopyParameters(Cdb.u8(list, 0), listIdUsage, targets, segments);
    }

    private static List<LogicalUnit> targets(byte[] list, int start, int length, List<LogicalUnit> luns) {
        if (length % TARGET_DESCRIPTOR_LENGTH != 0) {
            throw invalidParameter(2);
        }
        if (length / TARGET_DESCRIPTOR_LENGTH > MAX_TARGET_DESCRIPTORS) {
            throw new CheckCondition(Sense.TOO_MANY_TARGET_DESCRIPTORS);
        }
        List<LogicalUnit> targets = new ArrayList<>();
        for (int at = start; at < start + length; at += TARGET_DESCRIPTOR_LENGTH) {
            if (Cdb.u8(list, at) != IDENTIFICATION_DESCRIPTOR) {
                throw new CheckCondition(Sense.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE
                        .withParameterFieldPointer(at, -1));
            }
            targets.add(named(list, at, luns));
        }
        return targets;
    }

    /**
     * The logical unit an identification descriptor target descriptor names: a direct-access device whose NAA
     * designator and block length are this LU's. The LU ID TYPE and NUL bits are ignored (SPC-4 made them
     * reserved and obsolete).
     */
    private static LogicalUnit named(byte[] list, int at, List<LogicalUnit> luns) {
        boolean directAccess = Cdb.bits(list, at + 1, 0, 5) == 0;
        boolean naa = Cdb.bits(list, at + 4, 0, 4) == CODE_SET_BINARY && Cdb.bits(list, at + 5, 0, 4) == TYPE_NAA
                && Cdb.u8(list, at + 7) == 8;
        if (!directAccess || !naa) {
            return null;
        }
        long designator = Cdb.u64(list, at + 8);
        long blockLength = Cdb.u32(list, at + 28) & 0xFF_FFFF;
        for (LogicalUnit lu : luns) {
            if (lu.identity().naa() == designator && lu.blockSize() == blockLength) {
                return lu;
            }
        }
        return null;
    }

    private static List<Segment> segments(byte[] list, int start, int length) {
        List<Segment> segments = new ArrayList<>();
        int at = start;
        while (at < start + length) {
            if (segments.size() == MAX_SEGMENT_DESCRIPTORS) {
                throw new CheckCondition(Sense.TOO_MANY_SEGMENT_DESCRIPTORS);
            }
            if (at + 4 > start + length) {
                throw new CheckCondition(Sense.PARAMETER_LIST_LENGTH_ERROR);
            }
            int type = Cdb.u8(list, at);
            int descriptorLength = 4 + Cdb.u16(list, at + 2);
            if (type != BLOCK_TO_BLOCK) {
                throw new CheckCondition(Sense.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE
                        .withParameterFieldPointer(at, -1));
            }
            if (descriptorLength != BLOCK_TO_BLOCK_LENGTH || at + descriptorLength > start + length) {
                throw invalidParameter(at + 2);
            }
            segments.add(new Segment(Cdb.u16(list, at + 4), Cdb.u16(list, at + 6), Cdb.bit(list, at + 1, 1),
                    Cdb.u16(list, at + 10), Cdb.u64(list, at + 12), Cdb.u64(list, at + 20)));
            at += descriptorLength;
        }
        return segments;
    }

    /** Whether RECEIVE COPY RESULTS may ask about this copy later (LIST ID USAGE 00b or 01b). */
    boolean held() {
        return listIdUsage < LIST_ID_USAGE_NOT_HELD;
    }

    private static CheckCondition invalidParameter(int byteIndex) {
        return new CheckCondition(Sense.INVALID_FIELD_IN_PARAMETER_LIST.withParameterFieldPointer(byteIndex, -1));
    }
}
