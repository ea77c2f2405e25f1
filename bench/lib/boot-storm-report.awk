# Turns bench/boot-storm.sh's results.tsv into a Markdown table (after bench/lib/medians.awk), one row per storm
# (read cache and number of machines) in the order they first ran. Input lines (tab-separated), CACHE being the
# read-cache attribute, N the number of machines and RUN the run of that row:
#   machine CACHE N RUN STARTED LOGGED_IN DONE       one machine, seconds since the epoch (bench/lib/machines.sh)
#   clone CACHE N RUN MS                             the server's log: one clone created, in MS milliseconds
#   image CACHE N RUN BYTES HITS MISSES UNCACHED     the server's log at shutdown: the image read cache's counters
# Login, clone creation and boot times are pooled over every machine of every run of a row (median and maximum);
# the time until the last machine of a run finished is a run's own, and the row shows the run with the median
# such time: its time, its aggregate rate and its image counters, with the fewest and most bytes any run of the row
# read from the image file beside them (with a cache too small for the image they vary from run to run).
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
    run = key SUBSEP $4
    if (!(key in seen)) {
        seen[key] = 1
        order[++rows] = key
        cache_of[key] = $2
        machines_of[key] = $3
    }
    if (!(run in seen_run)) {
        seen_run[run] = 1
        run_of[key, ++runs[key]] = run
    }
}
$1 == "machine" {
    n = ++count[key]
    login[key, n] = ($6 - $5) * 1000
    boot[key, n] = $7 - $5
    if (!(run in first_start) || $5 < first_start[run]) first_start[run] = $5
    if (!(run in last_done) || $7 > last_done[run]) last_done[run] = $7
}
$1 == "clone" { clone[key, ++clones[key]] = $5 }
$1 == "image" {
    image_read[run] = $5
    if (!(key in fewest) || $5 < fewest[key]) fewest[key] = $5
    if (!(key in most) || $5 > most[key]) most[key] = $5
    counters[run] = $6 " / " $7 " / " $8
}

# "median / max" of values[key, 1..n] in FORMAT, or "n/a" for none.
function median_max(values, key, n, format,    sorted) {
    if (n == 0) return "n/a"
    sort_runs(values, key, n, sorted)
    return sprintf(format " / " format, median(values, key, n), sorted[n])
}

# The run of row KEY whose last machine finished after the median time (the lower middle of an even count); sets
# fastest and slowest to the shortest and longest such time of its runs.
function median_run(key,    i, n, walls, sorted, middle) {
    n = runs[key]
    for (i = 1; i <= n; i++) walls[key, i] = last_done[run_of[key, i]] - first_start[run_of[key, i]]
    sort_runs(walls, key, n, sorted)
    fastest = sorted[1]
    slowest = sorted[n]
    middle = sorted[int((n + 1) / 2)]
    for (i = 1; i <= n; i++) {
        if (walls[key, i] + 0 == middle) return run_of[key, i]
    }
}

END {
    print "| Machines | `read-cache` | Login, median / max (ms) | Clone created in, median / max (ms) |" \
        " Boot, median / max (s) | All done, median run (fastest-slowest) (s) | Aggregate (MiB/s) |" \
        " Read from the image file, MiB (x the image; fewest-most of the runs) | Chunk hits / misses / uncached reads |"
    print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (row = 1; row <= rows; row++) {
        key = order[row]
        run = median_run(key)
        wall = last_done[run] - first_start[run]
        rate = wall > 0 ? machines_of[key] * machine_bytes / 1048576 / wall : 0
        image = "n/a"
        if (run in image_read) {
            image = sprintf("%.0f (%.2fx; %.2f-%.2fx)", image_read[run] / 1048576, image_read[run] / image_bytes,
                fewest[key] / image_bytes, most[key] / image_bytes)
        }
        printf "| %d | %s | %s | %s | %s | %.1f (%.1f-%.1f) | %.0f | %s | %s |\n", machines_of[key], cache_of[key],
            median_max(login, key, count[key], "%.0f"), median_max(clone, key, clones[key], "%d"),
            median_max(boot, key, count[key], "%.1f"), wall, fastest, slowest, rate, image, counters[run]
    }
}
