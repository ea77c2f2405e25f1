# The workloads of bench/compare.sh (sourced, not run), each driven by a client nobody here wrote: libiscsi's
# iscsi-perf for reads, qemu-img bench (QEMU's iSCSI block driver) for writes. Every LUN under test has 512-byte
# blocks, which iscsi-perf's transfer size is counted in.
#
# Needs SECONDS_PER_RUN, WARMUP_SECONDS, WARMUP_MAX_RUNS, WARMUP_COMPILES, FLUSH_INTERVAL and JAVA from the caller.

readonly READ_WORKLOADS=(rand-read-4k seq-read-128k)
readonly WRITE_WORKLOADS=(write-4k write-4k-flush write-4k-qd1 write-64k write-64k-flush write-128k)

workload_label() {
  case $1 in
    rand-read-4k) echo "4 KiB random read, QD 32 (iscsi-perf)" ;;
    seq-read-128k) echo "128 KiB sequential read, QD 16 (iscsi-perf)" ;;
    write-4k) echo "4 KiB sequential write, QD 32 (qemu-img bench)" ;;
    write-4k-flush) echo "4 KiB sequential write, QD 32, flush every $FLUSH_INTERVAL (qemu-img bench)" ;;
    write-4k-qd1) echo "4 KiB sequential write, QD 1 (qemu-img bench)" ;;
    write-64k) echo "64 KiB sequential write, QD 32 (qemu-img bench)" ;;
    write-64k-flush) echo "64 KiB sequential write, QD 32, flush every $FLUSH_INTERVAL (qemu-img bench)" ;;
    write-128k) echo "128 KiB sequential write, QD 16 (qemu-img bench)" ;;
  esac
}

# Requests in flight of a write workload.
write_depth() {
  case $1 in
    *-qd1) echo 1 ;;
    write-128k*) echo 16 ;;
    *) echo 32 ;;
  esac
}

# Bytes per I/O of a write workload.
write_size() {
  case $1 in
    write-4k*) echo 4096 ;;
    write-64k*) echo 65536 ;;
    write-128k*) echo 131072 ;;
  esac
}

# iscsi-perf runs for SECONDS and then prints its average on a line of its own ("iops average N (M MB/s)"); the
# running figures before it end in carriage returns. Prints "IOPS IOS".
iscsi_perf() {
  local url=$1 seconds=$2 depth=$3 blocks=$4
  shift 4
  local out iops
  out=$(timeout $((seconds + 60)) iscsi-perf -m "$depth" -b "$blocks" -t "$seconds" "$@" "$url" 2>&1) || return 1
  iops=$(tr '\r' '\n' <<<"$out" | sed -n 's/^ *iops average \([0-9]*\).*/\1/p' | tail -n 1)
  [[ -n $iops ]] || return 1
  echo "$iops $((iops * seconds))"
}

# qemu-img bench times its requests alone ("Run completed in S seconds."), not the login or the flush on close.
# Its exit status is not the verdict: it fails when that last flush fails (jSCSI rejects SYNCHRONIZE CACHE) after a
# complete timed run, while a failed request ends the run without the completion line. Prints "IOPS IOS".
qemu_bench() {
  local url=$1 workload=$2 count=$3
  local -a flush=()
  if [[ $workload == *-flush ]]; then flush=(--flush-interval="$FLUSH_INTERVAL"); fi
  local out seconds
  out=$(timeout 300 qemu-img bench -f raw -t none -w -d "$(write_depth "$workload")" \
    -s "$(write_size "$workload")" -c "$count" "${flush[@]}" "$url" 2>&1) || true
  seconds=$(sed -n 's/^Run completed in \([0-9.]*\) seconds\./\1/p' <<<"$out")
  [[ -n $seconds ]] || return 1
  awk -v n="$count" -v s="$seconds" 'BEGIN { if (s <= 0) s = 0.001; printf "%.0f %d\n", n / s, n }'
}

# Runs WORKLOAD once against URL; COUNT is the number of writes (ignored by the read workloads). Prints "IOPS IOS".
run_workload() {
  local workload=$1 url=$2 count=$3 seconds=${4:-$SECONDS_PER_RUN}
  case $workload in
    rand-read-4k) iscsi_perf "$url" "$seconds" 32 8 -r ;;
    seq-read-128k) iscsi_perf "$url" "$seconds" 16 256 ;;
    write-*) qemu_bench "$url" "$workload" "$count" ;;
  esac
}

# How many methods the JIT compiler of JVM PID has compiled so far; nothing for a process that is no JVM.
jit_compiled() {
  { "$(dirname "$JAVA")/jstat" -compiler "$1" 2>/dev/null || true; } | awk 'NR == 2 { print $1 }'
}

# User plus system CPU time of process PID and all its threads, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the parenthesised command name, which may hold spaces).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
}

# Runs WORKLOAD once and prints "IOPS CPU_US_PER_IO", the CPU being that of server process PID during the run;
# SECONDS is how long a read workload runs (default SECONDS_PER_RUN).
measure() {
  local workload=$1 url=$2 pid=$3 count=$4 seconds=${5:-$SECONDS_PER_RUN}
  local before after result iops ios
  before=$(cpu_ticks "$pid")
  result=$(run_workload "$workload" "$url" "$count" "$seconds") || return 1
  after=$(cpu_ticks "$pid")
  read -r iops ios <<<"$result"
  awk -v iops="$iops" -v ios="$ios" -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%s %.1f\n", iops, (ios > 0 ? ticks / hz * 1e6 / ios : 0) }'
}

# Unmeasured runs first, until the server is warm. A Java server compiles its hot paths during tens of seconds of load
# after it starts (jtarget, 100 000 4 KiB writes at QD 32 on a fresh server: 8.3, 6.7, 3.6 and 2.5 s), while tgt is
# compiled C. The workload runs for about WARMUP_SECONDS at a time, at least twice (first touch of buffers and file
# pages), and for a JVM until a run during which its JIT compiler compiled fewer than WARMUP_COMPILES methods (read
# with jstat), at most WARMUP_MAX_RUNS runs. The first run writes 1 MiB per request in flight: enough to time, and
# about a second even at queue depth 1 over a backend that takes 2 ms per write. Prints the write count that takes
# about SECONDS_PER_RUN at the last warm-up run's rate (0 for a read workload) and logs each run's figures. Fails
# when the server cannot do the workload at all.
warm_up() {
  local workload=$1 url=$2 pid=$3
  local count=0 result iops cpu run trail="" compiled before
  if [[ $workload == write-* ]]; then
    count=$(($(write_depth "$workload") * 1024 * 1024 / $(write_size "$workload")))
  fi
  compiled=$(jit_compiled "$pid")
  for run in $(seq "$WARMUP_MAX_RUNS"); do
    result=$(measure "$workload" "$url" "$pid" "$count" "$WARMUP_SECONDS") || return 1
    read -r iops cpu <<<"$result"
    before=$compiled
    compiled=$(jit_compiled "$pid")
    trail+=" $iops/${cpu}µs${compiled:+/+$((compiled - before))}"
    if ((count > 0)); then
      count=$((iops * WARMUP_SECONDS > count ? iops * WARMUP_SECONDS : count))
    fi
    if ((run >= 2)) && [[ -z $compiled || $((compiled - before)) -lt $WARMUP_COMPILES ]]; then
      break
    fi
  done
  echo "bench: warm-up $workload $url: IOPS/CPU per I/O${compiled:+/methods compiled} of each run:$trail" >&2
  if ((count > 0)); then
    count=$((iops * SECONDS_PER_RUN > count ? iops * SECONDS_PER_RUN : count))
  fi
  echo "$count"
}
