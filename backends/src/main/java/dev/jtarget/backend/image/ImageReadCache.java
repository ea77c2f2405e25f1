package dev.jtarget.backend.image;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A bounded read cache of one read-only image file, shared by every clone of the image: when many machines boot
 * from clones of one image at once they read the same blocks, and the image's disk should see each of them about
 * once. The image is cut into aligned {@value #CHUNK_BYTES}-byte chunks held in off-heap slots of one arena; slots
 * are allocated on first use, never more than the byte budget allows, and reused by CLOCK (second-chance) eviction.
 *
 * <p>Loading is single-flight: the first reader of a missing chunk claims a slot, publishes the chunk and reads the
 * file outside every lock; concurrent readers of that chunk find it and wait for that one read. A chunk is pinned
 * while read from, so eviction never reuses memory someone copies out of. When every slot is pinned (more chunks
 * in flight than slots) a reader reads the file directly instead of waiting for a slot, so nobody waits on anything
 * but a file read in progress. A budget below one chunk disables caching: every read goes to the file.
 *
 * <p>Reads past the image's end yield zeros, as they do for a qcow2 backing file that is shorter than its clone.
 */
public final class ImageReadCache implements AutoCloseable {
    public static final int CHUNK_BYTES = 64 * 1024;
    private static final int CHUNK_BITS = Integer.numberOfTrailingZeros(CHUNK_BYTES);
    /** The largest budget: slot bookkeeping arrays are sized to the budget up front, 2^24 slots for 1 TiB. */
    public static final long MAX_BUDGET_BYTES = 1L << 40;

    private final Path path;
    private final ImageReader reader;
    private final long imageSize;
    private final long budgetBytes;
    private final Closeable file;
    private final int maxSlots;
    private final ConcurrentHashMap<Long, CachedChunk> chunks = new ConcurrentHashMap<>();
    private final Arena arena = Arena.ofShared();
    /** Guards the slot tables below and every insertion into and removal from {@link #chunks}. */
    private final ReentrantLock slots = new ReentrantLock();
    private final MemorySegment[] memory;
    private final CachedChunk[] owners;
    private final int[] freeSlots;
    private int freeCount;
    private int allocatedSlots;
    private int hand;
    /** Readers hold the read side while they touch slot memory; {@link #close} takes the write side to free it. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder bypasses = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder evictions = new LongAdder();

    /**
     * A cache over {@code reader}, which the caller keeps open until this cache is closed.
     *
     * @param path        the image's path: what clones name as their backing file, and shown in messages
     * @param imageSize   the image's size; it is read-only while clones use it
     * @param budgetBytes the most slot memory ever allocated; below {@value #CHUNK_BYTES} nothing is cached
     */
    public ImageReadCache(Path path, ImageReader reader, long imageSize, long budgetBytes) {
        this(path, reader, imageSize, budgetBytes, null);
    }

    private ImageReadCache(Path path, ImageReader reader, long imageSize, long budgetBytes, Closeable file) {
        if (imageSize < 0 || budgetBytes < 0 || budgetBytes > MAX_BUDGET_BYTES) {
            throw new IllegalArgumentException("image size " + imageSize + ", cache budget " + budgetBytes
                    + ": the budget must lie between 0 and " + MAX_BUDGET_BYTES + " bytes");
        }
        this.path = path;
        this.reader = reader;
        this.imageSize = imageSize;
        this.budgetBytes = budgetBytes;
        this.file = file;
        this.maxSlots = (int) (budgetBytes / CHUNK_BYTES);
        this.memory = new MemorySegment[maxSlots];
        this.owners = new CachedChunk[maxSlots];
        this.freeSlots = new int[maxSlots];
    }

    /** Opens {@code image} read-only behind a cache of {@code budgetBytes}; closing the cache closes the file. */
    public static ImageReadCache open(Path image, long budgetBytes) throws IOException {
        FileChannel channel = FileChannel.open(image, StandardOpenOption.READ);
        try {
            return new ImageReadCache(image.toAbsolutePath().normalize(), channel::read, channel.size(), budgetBytes,
                    channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public long imageSize() {
        return imageSize;
    }

    /** Fills {@code destination} with the image's bytes from {@code offset} on; zeros past the image's end. */
    public void read(long offset, ByteBuffer destination) throws IOException {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IOException("the read cache of image " + path + " is closed");
            }
            long position = offset;
            while (destination.hasRemaining()) {
                if (position >= imageSize) {
                    MemorySegment.ofBuffer(destination).fill((byte) 0);
                    destination.position(destination.limit());
                    return;
                }
                int inChunk = (int) (position & (CHUNK_BYTES - 1));
                int length = (int) Math.min(destination.remaining(), CHUNK_BYTES - inChunk);
                readPiece(position >>> CHUNK_BITS, inChunk, destination.slice(destination.position(), length));
                destination.position(destination.position() + length);
                position += length;
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void readPiece(long index, int inChunk, ByteBuffer piece) throws IOException {
        CachedChunk chunk = maxSlots == 0 ? null : pinnedLoaded(index);
        if (chunk == null) {
            bypasses.increment();
            readFile(piece, (index << CHUNK_BITS) + inChunk);
            return;
        }
        try {
            int valid = (int) Math.min(CHUNK_BYTES, imageSize - (index << CHUNK_BITS));
            int copied = Math.clamp(valid - inChunk, 0, piece.remaining());
            MemorySegment target = MemorySegment.ofBuffer(piece);
            MemorySegment.copy(chunk.memory, inChunk, target, 0, copied);
            target.asSlice(copied).fill((byte) 0);
        } finally {
            chunk.unpin();
        }
    }

    /** The chunk, loaded and pinned; null when no slot can be had (every slot pinned). */
    private CachedChunk pinnedLoaded(long index) throws IOException {
        while (true) {
            CachedChunk found = chunks.get(index);
            if (found != null) {
                if (found.pin()) {
                    found.referenced = true;
                    hits.increment();
                    return awaitLoad(found);
                }
                continue; // claimed for eviction: it leaves the map within the same hold of the slot lock
            }
            CachedChunk created;
            slots.lock();
            try {
                if (chunks.containsKey(index)) {
                    continue;
                }
                int slot = claimSlot();
                if (slot < 0) {
                    return null;
                }
                created = new CachedChunk(index, slot, memory[slot]);
                owners[slot] = created;
                chunks.put(index, created);
            } finally {
                slots.unlock();
            }
            misses.increment();
            load(created);
            return created;
        }
    }

    private CachedChunk awaitLoad(CachedChunk chunk) throws IOException {
        try {
            chunk.loaded.join();
            return chunk;
        } catch (CompletionException e) {
            chunk.unpin();
            if (e.getCause() instanceof IOException io) {
                throw new IOException("reading image " + path + " failed: " + io.getMessage(), io);
            }
            throw e;
        }
    }

    /** The single file read of a chunk; on failure the chunk leaves the cache, so a later read tries again. */
    private void load(CachedChunk chunk) throws IOException {
        try {
            long start = chunk.index << CHUNK_BITS;
            int valid = (int) Math.min(CHUNK_BYTES, imageSize - start);
            readFile(chunk.memory.asSlice(0, valid).asByteBuffer(), start);
            chunk.loaded.complete(valid);
        } catch (IOException | RuntimeException e) {
            chunk.loaded.completeExceptionally(e);
            slots.lock();
            try {
                chunks.remove(chunk.index, chunk);
                owners[chunk.slot] = null;
                freeSlots[freeCount++] = chunk.slot;
            } finally {
                slots.unlock();
            }
            throw e;
        }
    }

    /** Under the slot lock: a free slot, a newly allocated one within the budget, or one CLOCK evicts; else -1. */
    private int claimSlot() {
        if (freeCount > 0) {
            return freeSlots[--freeCount];
        }
        if (allocatedSlots < maxSlots) {
            memory[allocatedSlots] = arena.allocate(CHUNK_BYTES, 4096);
            return allocatedSlots++;
        }
        // Two sweeps: the first may only clear reference bits, the second then finds any chunk nobody pins.
        for (int step = 0; step < 2 * maxSlots; step++) {
            int slot = hand;
            hand = (hand + 1) % maxSlots;
            CachedChunk owner = owners[slot];
            if (owner.referenced) {
                owner.referenced = false;
            } else if (owner.claimForEviction()) {
                chunks.remove(owner.index, owner);
                owners[slot] = null;
                evictions.increment();
                return slot;
            }
        }
        return -1;
    }

    private void readFile(ByteBuffer destination, long position) throws IOException {
        long at = position;
        while (destination.hasRemaining()) {
            int read = reader.read(destination, at);
            if (read < 0) {
                MemorySegment.ofBuffer(destination).fill((byte) 0); // the file shrank: read as a hole would
                destination.position(destination.limit());
                return;
            }
            bytesRead.add(read);
            at += read;
        }
    }

    /** Chunk reads served from memory, including waits for a load another reader started. */
    public long hits() {
        return hits.sum();
    }

    /** Chunks read from the file into the cache. */
    public long misses() {
        return misses.sum();
    }

    /** Pieces read from the file without the cache: caching disabled or every slot pinned. */
    public long bypasses() {
        return bypasses.sum();
    }

    public long evictions() {
        return evictions.sum();
    }

    /** Bytes read from the image file, cached or not. */
    public long imageBytesRead() {
        return bytesRead.sum();
    }

    /** Slot memory allocated so far; never more than the budget. */
    public long residentBytes() {
        slots.lock();
        try {
            return (long) allocatedSlots * CHUNK_BYTES;
        } finally {
            slots.unlock();
        }
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** Waits for reads in progress, frees the slot memory and closes the file this cache opened. Idempotent. */
    @Override
    public void close() throws IOException {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            chunks.clear();
            arena.close();
            if (file != null) {
                file.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "read cache of " + path + " (" + budgetBytes + " bytes)";
    }
}
