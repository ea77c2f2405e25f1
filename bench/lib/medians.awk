# Medians for the benchmark report scripts (bench/lib/report.awk, bench/lib/boot-storm-report.awk), loaded before
# them with a second -f. Values are kept as values[key, 1..n], one series per key.

# Sorts values[key, 1..n] into sorted[1..n] (insertion sort: a few hundred values at most).
function sort_runs(values, key, n, sorted,    i, j, t) {
    for (i = 1; i <= n; i++) sorted[i] = values[key, i] + 0
    for (i = 2; i <= n; i++) {
        t = sorted[i]
        for (j = i - 1; j >= 1 && sorted[j] > t; j--) sorted[j + 1] = sorted[j]
        sorted[j + 1] = t
    }
}

function median(values, key, n,    sorted) {
    sort_runs(values, key, n, sorted)
    return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
}
