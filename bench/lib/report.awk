# Turns bench/compare.sh's raw results into Markdown tables (after bench/lib/medians.awk). Input lines
# (tab-separated):
#   PASS SERVER WORKLOAD IOPS CPU_US_PER_IO      one measured run; IOPS and CPU are "n/a" when the server failed it,
#                                                CPU is "-" when not measured
#                                                (a cell is n/a when every run failed, and says so when some did)
#   label PASS|SERVER|WORKLOAD TEXT              how to name a pass, server or workload in the table
#   columns PASS SERVER...                       the servers of a pass, in table order; the first is the reference
# Each cell is the median over the runs of IOPS and of server CPU time per I/O, the ratio of the median IOPS to that
# of the pass's reference server measured in the same run, and the lowest and highest IOPS of the runs.
BEGIN { FS = "\t" }

$1 == "label" { label[$2] = $3; next }
$1 == "columns" {
    pass_order[++passes] = $2
    columns[$2] = $3
    next
}
{
    key = $1 SUBSEP $2 SUBSEP $3
    if (!(($1 SUBSEP $3) in seen_workload)) {
        seen_workload[$1 SUBSEP $3] = 1
        workload_order[$1, ++workloads[$1]] = $3
    }
    if ($4 == "n/a") { failed[key]++; next }
    n = ++count[key]
    iops[key, n] = $4
    cpu[key, n] = $5
}

# "lowest–highest" of the runs' IOPS: on a noisy machine the spread says how far to trust the median.
function spread(key, n,    sorted) {
    if (n < 2) return ""
    sort_runs(iops, key, n, sorted)
    return sprintf(", runs %s–%s", grouped(sorted[1]), grouped(sorted[n]))
}

# 12345 -> "12 345": figures are read across a wide table; below 100 with one decimal.
function grouped(x,    s, out) {
    if (x < 100) return sprintf("%.1f", x)
    s = sprintf("%.0f", x)
    out = ""
    while (length(s) > 3) {
        out = " " substr(s, length(s) - 2) out
        s = substr(s, 1, length(s) - 3)
    }
    return s out
}

END {
    for (p = 1; p <= passes; p++) {
        pass = pass_order[p]
        k = split(columns[pass], servers, " ")
        reference = servers[1]
        printf "%s\n\n| Workload |", label[pass]
        for (s = 1; s <= k; s++) printf " %s |", label[servers[s]]
        printf "\n|---|"
        for (s = 1; s <= k; s++) printf "---|"
        printf "\n"
        for (w = 1; w <= workloads[pass]; w++) {
            workload = workload_order[pass, w]
            ref_key = pass SUBSEP reference SUBSEP workload
            ref_iops = count[ref_key] ? median(iops, ref_key, count[ref_key]) : 0
            printf "| %s |", label[workload]
            for (s = 1; s <= k; s++) {
                key = pass SUBSEP servers[s] SUBSEP workload
                if (!count[key]) { printf " n/a |"; continue }
                m = median(iops, key, count[key])
                ratio = ref_iops > 0 ? sprintf(" (%.2f×)", m / ref_iops) : ""
                note = failed[key] ? sprintf(" (%d of %d runs failed)", failed[key], failed[key] + count[key]) : ""
                printf " %s IOPS%s%s%s%s |", grouped(m), ratio, spread(key, count[key]),
                    cpu[key, 1] == "-" ? "" : sprintf(", %.1f µs CPU/IO", median(cpu, key, count[key])), note
            }
            printf "\n"
        }
        printf "\n"
    }
}
