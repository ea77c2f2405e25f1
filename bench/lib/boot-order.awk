# Writes the qemu-io command script of one simulated boot for bench/boot-storm.sh: every byte of the first MIB MiB
# of the disk read at least once, in an order like a kernel and then userspace starting up. Every machine of a
# storm runs the same script, so they all want the same blocks, each at its own pace.
#
#   awk -v MIB=200 -v SEED=1 -f boot-order.awk >boot.qemu-io
#
# The disk is cut into "files" of 16 KiB to 4 MiB. Files are read mostly in disk order (85 % of the time the next
# unread one), otherwise a jump to a random unread file (another directory, a library); each file front to back in
# extents of 4 to 256 KiB, small ones as common as large ones. After 4 % of the extents an earlier extent is read
# again (a library mapped by a second program). Offsets and lengths are 4 KiB-aligned, as page-cache reads are.
#
# The first and the last command are plain "read 0 512" (block 0, like a boot loader, and at the end again): their
# "read 512/512 bytes at offset 0" lines tell the caller when the machine logged in and when its last read
# completed; all the reads between are quiet (-q) and print only when they fail.
#
# The pseudo-random numbers are Park and Miller's minimal standard generator, computed exactly in awk's doubles
# (48271 * 2^31 < 2^53), so that every awk (mawk, gawk, busybox) writes the same script for the same SEED.
BEGIN {
    page = 4096
    pages = MIB * 256
    state = (SEED > 0 ? SEED : 1) % 2147483647
    if (state == 0) state = 1

    files = 0
    for (at = 0; at < pages; at += span) {
        span = 4 * 2 ^ uniform(9) # 16 KiB .. 4 MiB, as many small files as large
        if (at + span > pages) span = pages - at
        start[++files] = at
        size[files] = span
    }

    print "read 0 512"
    extents = 0
    current = 0
    for (done = 0; done < files; done++) {
        current = next_file(current)
        visited[current] = 1
        for (at = start[current]; at < start[current] + size[current]; at += span) {
            span = 2 ^ uniform(7) # 4 KiB .. 256 KiB
            if (at + span > start[current] + size[current]) span = start[current] + size[current] - at
            read_extent(at, span)
            if (random() < 0.04) {
                again = 1 + uniform(extents)
                read_extent(offset[again], count[again])
            }
        }
    }
    print "read 0 512"
}

function read_extent(first, n) {
    printf "read -q %d %d\n", first * page, n * page
    offset[++extents] = first
    count[extents] = n
}

# The file read after file CURRENT (0 before the first): usually the next one not read yet, sometimes a jump.
function next_file(current,    candidate, tries) {
    if (current > 0 && random() < 0.15) {
        for (tries = 0; tries < 64; tries++) {
            candidate = 1 + uniform(files)
            if (!(candidate in visited)) return candidate
        }
    }
    for (candidate = current + 1; candidate <= files; candidate++) {
        if (!(candidate in visited)) return candidate
    }
    for (candidate = 1; candidate <= current; candidate++) {
        if (!(candidate in visited)) return candidate
    }
}

# Uniform in [0, 1).
function random() {
    state = (state * 48271) % 2147483647
    return (state - 1) / 2147483646
}

# Uniform integer in [0, n).
function uniform(n) {
    return int(random() * n)
}
