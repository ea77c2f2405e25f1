# Turns bench/boot-storm.sh's results.tsv into a Markdown table, one row per storm in the order they ran. Input lines
# (tab-separated), CACHE being the read-cache attribute and N the number of machines:
#   machine CACHE N STARTED LOGGED_IN DONE       one machine's times, seconds since the epoch (bench/lib/machines.sh)
#   clone CACHE N MS                             the server's log: one clone created, in MS milliseconds
#   image CACHE N BYTES HITS MISSES UNCACHED     the server's log at shutdown: the image read cache's counters
# Needs -v image_bytes=SIZE (the image's size) and -v script=FILE (the qemu-io script every machine ran).
BEGIN {
    FS = "\t"
    while ((getline line < script) > 0) {
        split(line, word, " ")
        machine_bytes += word[2] == "-q" ? word[4] : word[3]
    }
    close(script)
}

{
    key = $2 SUBSEP $3
    if (!(key in seen)) {
        seen[key] = 1
        order[++rows] = key
        cache_of[key] = $2
        machines_of[key] = $3
    }
}
$1 == "machine" {
    n = ++count[key]
    login[key, n] = ($5 - $4) * 1000
    boot[key, n] = $6 - $4
    if (!(key in first_start) || $4 < first_start[key]) first_start[key] = $4
    if (!(key in last_done) || $6 > last_done[key]) last_done[key] = $6
}
$1 == "clone" { clone[key, ++clones[key]] = $4 }
$1 == "image" {
    image_read[key] = $4
    counters[key] = $5 " / " $6 " / " $7
}

# Sorts values[key, 1..n] into sorted[1..n] (insertion sort: at most a few hundred values).
function sort_values(values, key, n, sorted,    i, j, t) {
    for (i = 1; i <= n; i++) sorted[i] = values[key, i] + 0
    for (i = 2; i <= n; i++) {
        t = sorted[i]
        for (j = i - 1; j >= 1 && sorted[j] > t; j--) sorted[j + 1] = sorted[j]
        sorted[j + 1] = t
    }
}

# "median / max" of values[key, 1..n] in FORMAT, or "n/a" for none.
function median_max(values, key, n, format,    sorted, median) {
    if (n == 0) return "n/a"
    sort_values(values, key, n, sorted)
    median = n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
    return sprintf(format " / " format, median, sorted[n])
}

END {
    print "| Machines | `read-cache` | Login, median / max (ms) | Clone created in, median / max (ms) |" \
        " Boot, median / max (s) | All done (s) | Aggregate (MiB/s) | Read from the image file (MiB) |" \
        " Chunk hits / misses / uncached reads |"
    print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (row = 1; row <= rows; row++) {
        key = order[row]
        wall = last_done[key] - first_start[key]
        rate = wall > 0 ? count[key] * machine_bytes / 1048576 / wall : 0
        image = "n/a"
        if (key in image_read) {
            image = sprintf("%.0f (%.2fx the image)", image_read[key] / 1048576, image_read[key] / image_bytes)
        }
        printf "| %d | %s | %s | %s | %s | %.1f | %.0f | %s | %s |\n", machines_of[key], cache_of[key],
            median_max(login, key, count[key], "%.0f"), median_max(clone, key, clones[key], "%d"),
            median_max(boot, key, count[key], "%.1f"), wall, rate, image, counters[key]
    }
}
