#!/usr/bin/env bash
# Benchmarks jtarget side by side with tgt and jSCSI target 2.5.2 on loopback, in one run, through clients nobody
# here wrote (libiscsi's iscsi-perf, qemu-img bench), and prints a Markdown table for the README. Also run by
# ./jtarget bench. Needs root (tgtd, and apt-get for whatever is missing).
#
# Pass 1, tmpfs: every server serves the same 1 GiB file on tmpfs: tgt, jtarget with WCE=1 and with WCE=0, jSCSI.
#   The servers run side by side and the runs of a workload take turns between them, so that the noise of a shared
#   machine falls on all of them alike; each figure is compared with tgt's.
# Pass 2, slow backend: the same file behind 2 ms per write (jtarget's delay element), WCE=1 against WCE=0, bursts
#   of writes that fit the cache arena. At queue depth 32 the server's CPU rather than the delay limits WCE=0 on two
#   cores, so the write at queue depth 1, where the delay dominates, is the telling row. tgt and jSCSI have no delay
#   of their own, and the kernel this was written on has no device mapper for dm-delay under them (not implemented),
#   so this pass is jtarget only.
# Pass 3, slow disk: the same 2 ms per write on a simulated device that works on one request at a time (a single disk
#   arm; <delay queue-depth="1"/>), so WCE=0 gets at most 500 writes a second whatever the queue depth, and the
#   cache's worth shows at depth 32 too. Same bursts, jtarget only.
#
# Every figure is the median of RUNS runs. Before them each server runs each workload unmeasured until it is warm
# (the Java servers compile their hot paths during the first tens of seconds of load: they run until their JIT
# compiler is all but idle) and the warm-up sizes the write runs to about SECONDS_PER_RUN. Server CPU time per I/O comes from
# /proc/PID/stat around each run.
#
# Environment (defaults in brackets):
#   RUNS [3]  SECONDS_PER_RUN [5]  FLUSH_INTERVAL [128] writes between flushes in the -flush workloads
#   WARMUP_SECONDS [2] length of a warm-up run  WARMUP_MAX_RUNS [20] warm-up runs at most per server and workload
#   WARMUP_COMPILES [10] a JVM is warm after a warm-up run in which its JIT compiled fewer methods than this
#   BURST_MIB [64] bytes written per run in pass 2 (the default cache arena is 256 MiB; writers are throttled above
#   40 % of it)   PORT_BASE [3460] six ports from here   RESULTS [bench/target/results/DATE] raw results and logs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
FLUSH_INTERVAL=${FLUSH_INTERVAL:-128}
WARMUP_SECONDS=${WARMUP_SECONDS:-2}
WARMUP_MAX_RUNS=${WARMUP_MAX_RUNS:-20}
WARMUP_COMPILES=${WARMUP_COMPILES:-10}
BURST_MIB=${BURST_MIB:-64}
PORT_BASE=${PORT_BASE:-3460}
STARTED="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD_BEFORE=$(cut -d ' ' -f 1-3 /proc/loadavg)
RESULTS=${RESULTS:-$ROOT/bench/target/results/$(date -u +%Y%m%dT%H%M%SZ)}
readonly LUN_BYTES=$((1024 * 1024 * 1024))
WORK=$RESULTS
# ./jtarget bench passes the JDK it found; run directly, JAVA_HOME or java on PATH.
JAVA=${JTARGET_JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/java}}
JAVA=${JAVA:-java}

source "$ROOT/bench/lib/servers.sh"
source "$ROOT/bench/lib/workloads.sh"

say() {
  echo "bench: $*" >&2
}

# The programs this needs, by Debian package; installs the missing ones when root.
install_tools() {
  local -A package_of=([tgtd]=tgt [iscsi-perf]=libiscsi-bin [qemu-img]=qemu-utils [mvn]=maven [unzip]=unzip
    [ss]=iproute2 [fallocate]=util-linux)
  local -a missing=()
  local tool
  for tool in "${!package_of[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
  done
  # qemu-img speaks iscsi:// only with the block driver packaged apart from it.
  dpkg-query -W -f='${Status}' qemu-block-extra 2>/dev/null | grep -q 'install ok installed' ||
    missing+=(qemu-block-extra)
  ((${#missing[@]} == 0)) && return 0
  if ((EUID != 0)); then
    say "missing packages ${missing[*]}; run as root to install them"
    exit 1
  fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q "${missing[@]}"
}

# Runs every workload of a pass: warm-ups first, then RUNS rounds in which each server takes its turn. MAX_BYTES,
# when set, caps the bytes a write run sends (a burst that fits the cache arena).
run_pass() {
  local pass=$1 workloads=$2 servers=$3 max_bytes=${4:-}
  local workload server run result cap
  local -A count=()
  for workload in $workloads; do
    for server in $servers; do
      if count[$server]=$(warm_up "$workload" "${SERVER_URL[$server]}" "${SERVER_PID[$server]}"); then
        if [[ -n $max_bytes ]]; then
          cap=$((max_bytes / $(write_size "$workload")))
          count[$server]=$((count[$server] < cap ? count[$server] : cap))
        fi
      else
        count[$server]=failed
        say "[$pass] $workload: $server cannot do it (warm-up failed); n/a"
      fi
    done
    for run in $(seq "$RUNS"); do
      for server in $servers; do
        result="n/a n/a"
        if [[ ${count[$server]} != failed ]]; then
          result=$(measure "$workload" "${SERVER_URL[$server]}" "${SERVER_PID[$server]}" "${count[$server]}") ||
            result="n/a n/a"
        fi
        say "[$pass] $workload run $run/$RUNS $server: ${result% *} IOPS, ${result#* } µs CPU/IO"
        printf '%s\t%s\t%s\t%s\t%s\n' "$pass" "$server" "$workload" "${result% *}" "${result#* }" \
          >>"$RESULTS/results.tsv"
      done
    done
  done
}

labels() {
  local workload
  printf 'label\ttmpfs\t%s %s\n' "**Pass 1: 1 GiB file on tmpfs** (median IOPS, ratio to tgt, lowest and highest run," \
    "server CPU time per I/O)"
  printf 'label\tslow\t**Pass 2: same file, 2 ms added to every write** (jtarget only; ratios to WCE=0)\n'
  printf 'label\ttgt\ttgt\nlabel\tjtarget-wce1\tjtarget WCE=1\nlabel\tjtarget-wce0\tjtarget WCE=0\n'
  printf 'label\tjscsi\tjSCSI 2.5.2\n'
  printf 'label\tslow-wce1\tjtarget WCE=1\nlabel\tslow-wce0\tjtarget WCE=0\n'
  printf 'label\tdisk\t%s\n' "**Pass 3: same file, 2 ms per write, one write at a time** (jtarget only; ratios to WCE=0)"
  printf 'label\tdisk-wce1\tjtarget WCE=1\nlabel\tdisk-wce0\tjtarget WCE=0\n'
  for workload in "${READ_WORKLOADS[@]}" "${WRITE_WORKLOADS[@]}"; do
    printf 'label\t%s\t%s\n' "$workload" "$(workload_label "$workload")"
  done
  printf 'columns\ttmpfs\ttgt jtarget-wce1 jtarget-wce0 jscsi\n'
  printf 'columns\tslow\tslow-wce0 slow-wce1\n'
  printf 'columns\tdisk\tdisk-wce0 disk-wce1\n'
}

main() {
  install_tools
  mkdir -p "$RESULTS"
  : >"$RESULTS/results.tsv"
  say "building jtarget"
  "$ROOT/jtarget" check-config --config "$ROOT/conf/jtarget.xml" >/dev/null
  # One backing file for every server, in memory so that the servers and not a disk are measured; allocated up
  # front so that no server pays for tmpfs allocating pages on first write.
  LUN_FILE=$(mktemp /dev/shm/jtarget-bench-XXXXXX.img)
  trap 'stop_servers; rm -f "$LUN_FILE"' EXIT
  trap 'exit 130' INT TERM
  fallocate -l "$LUN_BYTES" "$LUN_FILE"

  say "pass 1: tmpfs; results and logs in $RESULTS"
  start_tgt tgt "$PORT_BASE" "$LUN_FILE"
  start_jtarget jtarget-wce1 $((PORT_BASE + 1)) "$LUN_FILE" on
  start_jtarget jtarget-wce0 $((PORT_BASE + 2)) "$LUN_FILE" off
  start_jscsi jscsi $((PORT_BASE + 3)) "$LUN_FILE"
  run_pass tmpfs "${READ_WORKLOADS[*]} ${WRITE_WORKLOADS[*]}" "tgt jtarget-wce1 jtarget-wce0 jscsi"
  stop_servers

  # jSCSI reports one block more than its file holds (READ CAPACITY returns the block count as the last LBA), so a
  # write to its last block would have grown the file, and jtarget refuses a backing file larger than configured.
  truncate -s "$LUN_BYTES" "$LUN_FILE"
  say "pass 2: 2 ms per write, jtarget only (no dm-delay for tgt and jSCSI)"
  start_jtarget slow-wce1 $((PORT_BASE + 4)) "$LUN_FILE" on 2ms
  start_jtarget slow-wce0 $((PORT_BASE + 5)) "$LUN_FILE" off 2ms
  run_pass slow "${WRITE_WORKLOADS[*]}" "slow-wce0 slow-wce1" $((BURST_MIB * 1024 * 1024))
  stop_servers

  say "pass 3: 2 ms per write, one write at a time, jtarget only"
  start_jtarget disk-wce1 $((PORT_BASE + 4)) "$LUN_FILE" on 2ms 1
  start_jtarget disk-wce0 $((PORT_BASE + 5)) "$LUN_FILE" off 2ms 1
  run_pass disk "${WRITE_WORKLOADS[*]}" "disk-wce0 disk-wce1" $((BURST_MIB * 1024 * 1024))
  stop_servers

  {
    echo "Measured $STARTED with \`./jtarget bench\` (RUNS=$RUNS, SECONDS_PER_RUN=$SECONDS_PER_RUN," \
      "FLUSH_INTERVAL=$FLUSH_INTERVAL, BURST_MIB=$BURST_MIB) on $(nproc) cores" \
      "($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r), shared by the clients" \
      "and all servers; load average $LOAD_BEFORE before, $(cut -d ' ' -f 1-3 /proc/loadavg) after."
    echo
    { labels; cat "$RESULTS/results.tsv"; } | awk -f "$ROOT/bench/lib/medians.awk" -f "$ROOT/bench/lib/report.awk"
  } | tee "$RESULTS/table.md"
}

main "$@"
