# The workloads of bench/compare.sh (sourced, not run), each driven by a client nobody here wrote: libiscsi's
# iscsi-perf for reads, qemu-img bench (QEMU's iSCSI block driver) for writes. Every LUN under test has 512-byte
# blocks, which iscsi-perf's transfer size is counted in.
#
# Needs SECONDS_PER_RUN and FLUSH_INTERVAL from the caller.

readonly READ_WORKLOADS=(rand-read-4k seq-read-128k)
readonly WRITE_WORKLOADS=(write-4k write-4k-flush write-4k-qd1 write-64k write-64k-flush)

workload_label() {
  case $1 in
    rand-read-4k) echo "4 KiB random read, QD 32 (iscsi-perf)" ;;
    seq-read-128k) echo "128 KiB sequential read, QD 16 (iscsi-perf)" ;;
    write-4k) echo "4 KiB sequential write, QD 32 (qemu-img bench)" ;;
    write-4k-flush) echo "4 KiB sequential write, QD 32, flush every $FLUSH_INTERVAL (qemu-img bench)" ;;
    write-4k-qd1) echo "4 KiB sequential write, QD 1 (qemu-img bench)" ;;
    write-64k) echo "64 KiB sequential write, QD 32 (qemu-img bench)" ;;
    write-64k-flush) echo "64 KiB sequential write, QD 32, flush every $FLUSH_INTERVAL (qemu-img bench)" ;;
  esac
}

# Requests in flight of a write workload.
write_depth() {
  case $1 in
    *-qd1) echo 1 ;;
    *) echo 32 ;;
  esac
}

# Bytes per I/O of a write workload.
write_size() {
  case $1 in
    write-4k*) echo 4096 ;;
    write-64k*) echo 65536 ;;
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

# User plus system CPU time of process PID and all its threads, in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the parenthesised command name, which may hold spaces).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$stat"
}

# Runs WORKLOAD once and prints "IOPS CPU_US_PER_IO", the CPU being that of server process PID during the run.
measure() {
  local workload=$1 url=$2 pid=$3 count=$4
  local before after result iops ios
  before=$(cpu_ticks "$pid")
  result=$(run_workload "$workload" "$url" "$count") || return 1
  after=$(cpu_ticks "$pid")
  read -r iops ios <<<"$result"
  awk -v iops="$iops" -v ios="$ios" -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%s %.1f\n", iops, (ios > 0 ? ticks / hz * 1e6 / ios : 0) }'
}

# A first, unmeasured run warms the server up (JIT compilation, first touch of buffers) and sizes the measured runs:
# prints the write count that takes about SECONDS_PER_RUN at the warm-up's rate (at least the warm-up's count), or
# 0 for a read workload. Fails when the server cannot do the workload at all. The warm-up writes 1 MiB per request
# in flight: enough to time, and about a second even at queue depth 1 over a backend that takes 2 ms per write.
warm_up() {
  local workload=$1 url=$2
  local count=0 result iops
  if [[ $workload == write-* ]]; then
    count=$(($(write_depth "$workload") * 1024 * 1024 / $(write_size "$workload")))
  fi
  result=$(run_workload "$workload" "$url" "$count" 2) || return 1
  read -r iops _ <<<"$result"
  if ((count > 0)); then
    count=$((iops * SECONDS_PER_RUN > count ? iops * SECONDS_PER_RUN : count))
  fi
  echo "$count"
}
