package dev.jtarget.backend.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The qcow2 version 3 file header and the header extensions we understand, as laid out in QEMU's
 * {@code docs/interop/qcow2.txt} ("Header" and "Header extensions"). All numbers are big-endian, which is
 * {@link ByteBuffer}'s default order.
 *
 * @param clusterBits          log2 of the cluster size (9..21)
 * @param virtualSize          the guest disk size in bytes
 * @param l1Size               entries in the L1 table
 * @param l1TableOffset        where the L1 table starts (cluster aligned)
 * @param refcountTableOffset  where the refcount table starts (cluster aligned)
 * @param refcountTableClusters how many clusters the refcount table spans
 * @param autoclearFeatures    bits a writer that does not understand them must clear (we understand none)
 * @param backingFile          the backing file name as stored, or null when the image has none
 * @param backingFormat        the backing format extension (0xe2792aca), or null when absent
 */
record Qcow2Header(int clusterBits, long virtualSize, int l1Size, long l1TableOffset, long refcountTableOffset,
                   int refcountTableClusters, long autoclearFeatures, String backingFile, String backingFormat) {

    static final int MAGIC = 0x514649fb; // "QFI\xfb"
    static final int VERSION = 3;
    /** Incompatible feature bits (header bytes 72-79). */
    static final long INCOMPATIBLE_DIRTY = 1L;
    static final long INCOMPATIBLE_CORRUPT = 1L << 1;
    /** Refcount order 4: 16-bit refcounts, the default and the only width we implement. */
    static final int REFCOUNT_ORDER = 4;
    /** Version 3 header including the compression type byte and its 7 bytes of padding. */
    static final int HEADER_LENGTH = 112;
    static final int BACKING_FORMAT_EXTENSION = 0xe2792aca;
    static final int END_OF_EXTENSIONS = 0;
    /** The spec caps the backing file name at 1023 bytes. */
    static final int MAX_BACKING_NAME = 1023;
    private static final int AUTOCLEAR_OFFSET = 88;

    long clusterSize() {
        return 1L << clusterBits;
    }

    /** Encodes the header, the backing format extension and the backing file name into the first cluster. */
    ByteBuffer encode() throws IOException {
        ByteBuffer cluster = ByteBuffer.allocate((int) clusterSize());
        byte[] name = backingFile == null ? new byte[0] : backingFile.getBytes(StandardCharsets.UTF_8);
        byte[] format = backingFormat == null ? new byte[0] : backingFormat.getBytes(StandardCharsets.UTF_8);
        int extensionsLength = (format.length > 0 ? 8 + align8(format.length) : 0) + 8;
        int nameOffset = HEADER_LENGTH + extensionsLength;
        if (name.length > MAX_BACKING_NAME || nameOffset + name.length > cluster.capacity()) {
            throw new IOException("backing file name of " + name.length + " bytes does not fit the first "
                    + cluster.capacity() + "-byte cluster of the qcow2 header");
        }
        cluster.putInt(MAGIC).putInt(VERSION)
                .putLong(name.length > 0 ? nameOffset : 0).putInt(name.length)
                .putInt(clusterBits).putLong(virtualSize)
                .putInt(0) // crypt_method: none
                .putInt(l1Size).putLong(l1TableOffset)
                .putLong(refcountTableOffset).putInt(refcountTableClusters)
                .putInt(0).putLong(0) // nb_snapshots, snapshots_offset
                .putLong(0) // incompatible features: never dirty (no lazy refcounts), never corrupt
                .putLong(0) // compatible features
                .putLong(autoclearFeatures)
                .putInt(REFCOUNT_ORDER).putInt(HEADER_LENGTH)
                .put((byte) 0); // compression type zlib; followed by padding to HEADER_LENGTH
        cluster.position(HEADER_LENGTH);
        if (format.length > 0) {
            cluster.putInt(BACKING_FORMAT_EXTENSION).putInt(format.length).put(format);
            cluster.position(cluster.position() + align8(format.length) - format.length);
        }
        cluster.putInt(END_OF_EXTENSIONS).putInt(0);
        cluster.put(name);
        return cluster.clear();
    }

    /** The header cluster with the autoclear bits cleared, as the spec asks of writers that do not know them. */
    static void clearAutoclear(ByteBuffer headerCluster) {
        headerCluster.putLong(AUTOCLEAR_OFFSET, 0);
    }

    /**
     * Parses and validates the first cluster of an image; refuses, with the reason, everything we do not implement.
     *
     * @param firstCluster at least the header, its extensions and the backing file name
     */
    static Qcow2Header decode(ByteBuffer firstCluster, String file) throws IOException {
        ByteBuffer in = firstCluster.duplicate().clear();
        if (in.capacity() < 104 || in.getInt(0) != MAGIC) {
            throw new IOException(file + " is not a qcow2 image (bad magic)");
        }
        int version = in.getInt(4);
        if (version != VERSION) {
            throw new IOException(file + " is qcow2 version " + version + "; only version 3 (compat 1.1) is "
                    + "supported: qemu-img amend -o compat=1.1 upgrades it");
        }
        long backingOffset = in.getLong(8);
        int backingSize = in.getInt(16);
        int clusterBits = in.getInt(20);
        if (clusterBits < 9 || clusterBits > 21) {
            throw new IOException(file + ": cluster bits " + clusterBits + " outside 9..21");
        }
        long virtualSize = in.getLong(24);
        if (in.getInt(32) != 0) {
            throw new IOException(file + " is encrypted; encryption is not supported");
        }
        int l1Size = in.getInt(36);
        long l1Offset = in.getLong(40);
        long refcountTableOffset = in.getLong(48);
        int refcountTableClusters = in.getInt(56);
        if (in.getInt(60) != 0) {
            throw new IOException(file + " has internal snapshots; they are not supported");
        }
        long incompatible = in.getLong(72);
        if ((incompatible & INCOMPATIBLE_CORRUPT) != 0) {
            throw new IOException(file + " is marked corrupt; repair it with qemu-img check -r all first");
        }
        if ((incompatible & INCOMPATIBLE_DIRTY) != 0) {
            throw new IOException(file + " is dirty (lazy refcounts not yet repaired); run qemu-img check -r all");
        }
        if (incompatible != 0) {
            throw new IOException(file + " uses incompatible features 0x" + Long.toHexString(incompatible)
                    + " (external data file, compression type or extended L2) that are not supported");
        }
        int refcountOrder = in.getInt(96);
        if (refcountOrder != REFCOUNT_ORDER) {
            throw new IOException(file + ": refcount order " + refcountOrder + " (" + (1 << refcountOrder)
                    + "-bit refcounts); only 16-bit refcounts (order 4) are supported");
        }
        int headerLength = in.getInt(100);
        if (headerLength < 104 || headerLength > in.capacity()) {
            throw new IOException(file + ": header length " + headerLength + " is invalid");
        }
        long clusterSize = 1L << clusterBits;
        if (l1Offset % clusterSize != 0 || refcountTableOffset % clusterSize != 0) {
            throw new IOException(file + ": L1 or refcount table offset is not cluster aligned");
        }
        String backingFile = null;
        if (backingOffset != 0) {
            if (backingSize > MAX_BACKING_NAME || backingOffset + backingSize > in.capacity()) {
                throw new IOException(file + ": backing file name lies outside the first cluster");
            }
            byte[] name = new byte[backingSize];
            in.get((int) backingOffset, name);
            backingFile = new String(name, StandardCharsets.UTF_8);
        }
        return new Qcow2Header(clusterBits, virtualSize, l1Size, l1Offset, refcountTableOffset,
                refcountTableClusters, in.getLong(AUTOCLEAR_OFFSET), backingFile,
                backingFormat(in, headerLength, file));
    }

    /** Walks the header extensions (spec: "Header extensions") for the backing file format name. */
    private static String backingFormat(ByteBuffer in, int headerLength, String file) throws IOException {
        int position = headerLength;
        while (position + 8 <= in.capacity()) {
            int type = in.getInt(position);
            int length = in.getInt(position + 4);
            if (type == END_OF_EXTENSIONS) {
                return null;
            }
            if (length < 0 || position + 8L + length > in.capacity()) {
                throw new IOException(file + ": header extension 0x" + Integer.toHexString(type)
                        + " runs past the first cluster");
            }
            if (type == BACKING_FORMAT_EXTENSION) {
                byte[] format = new byte[length];
                in.get(position + 8, format);
                return new String(format, StandardCharsets.UTF_8);
            }
            position += 8 + align8(length);
        }
        throw new IOException(file + ": header extensions have no end marker");
    }

    private static int align8(int length) {
        return (length + 7) & ~7;
    }
}
