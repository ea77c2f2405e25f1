#!/usr/bin/env bash
# The Linux kernel initiator against tgt and jtarget (WCE=1), side by side in one run: each run boots the
# ../shared/harness/vm guest (Debian's kernel, open-iscsi; under TCG here, so the guest's CPU is the bottleneck and the
# figures compare targets, not hardware), logs in to one server's LUN and runs bench/vm/guest-io.sh: 1 MiB sequential
# write and read with one dd stream, 4 KiB writes and reads with 32 concurrent dd streams (O_DIRECT). The servers take
# turns run by run; each figure is the median of RUNS runs with its ratio to tgt, as a Markdown table. Needs root, the
# harness (built once with its build.sh) and what bench/compare.sh installs. Server CPU per I/O is not reported: the
# guest's boot and login fall into the same server process time.
#
# Environment (defaults in brackets): RUNS [3]  PORT_BASE [3470]  HARNESS [../shared/harness/vm from the repository]
#   RESULTS [bench/target/results/vm-DATE]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
RUNS=${RUNS:-3}
PORT_BASE=${PORT_BASE:-3470}
HARNESS=${HARNESS:-$(cd "$ROOT/.." && pwd)/shared/harness/vm}
STARTED="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD_BEFORE=$(cut -d ' ' -f 1-3 /proc/loadavg)
RESULTS=${RESULTS:-$ROOT/bench/target/results/vm-$(date -u +%Y%m%dT%H%M%SZ)}
readonly LUN_BYTES=$((512 * 1024 * 1024))
WORK=$RESULTS
JAVA=${JTARGET_JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/java}}
JAVA=${JAVA:-java}
# For the JIT warm-up with qemu-img bench before the first VM run (bench/lib/workloads.sh).
SECONDS_PER_RUN=5 WARMUP_SECONDS=2 WARMUP_MAX_RUNS=20 WARMUP_COMPILES=10 FLUSH_INTERVAL=128

source "$ROOT/bench/lib/servers.sh"
source "$ROOT/bench/lib/workloads.sh"

readonly WORKLOADS=(seq_write_1m seq_read_1m write_4k_qd32 read_4k_qd32)

say() {
  echo "bench: $*" >&2
}

labels() {
  printf 'label\tvm\t%s %s\n' "**Kernel initiator in the harness VM** (median IOPS — for 1 MiB requests equal to MiB/s" \
    "— ratio to tgt, lowest and highest run)"
  printf 'label\ttgt\ttgt\nlabel\tjtarget-wce1\tjtarget WCE=1\n'
  printf 'label\tseq_write_1m\t1 MiB sequential write, 1 stream (dd O_DIRECT)\n'
  printf 'label\tseq_read_1m\t1 MiB sequential read, 1 stream (dd O_DIRECT)\n'
  printf 'label\twrite_4k_qd32\t4 KiB write, 32 streams (dd O_DIRECT)\n'
  printf 'label\tread_4k_qd32\t4 KiB read, 32 streams (dd O_DIRECT)\n'
  printf 'columns\tvm\ttgt jtarget-wce1\n'
}

# One guest run against SERVER; appends its figures to results.tsv.
vm_run() {
  local server=$1 run=$2
  local url=${SERVER_URL[$server]} out workload value
  # iscsi://HOST:PORT/IQN/LUN
  local rest=${url#iscsi://}
  local portal=${rest%%/*} lun=${rest##*/} target
  target=${rest#*/}
  target=${target%/*}
  out=$("$HARNESS/run-iscsiadm.sh" --portal "$portal" --target "$target" --lun "$lun" --no-relogin \
    --script "$ROOT/bench/vm/guest-io.sh" --timeout 600 --quiet 2>&1 | tail -n 1) || true
  echo "$out" >>"$RESULTS/$server-runs.log"
  for workload in "${WORKLOADS[@]}"; do
    value=$(grep -o "vm_${workload}_iops=[0-9.]*" <<<"$out" | cut -d= -f2 || true)
    say "vm $workload run $run $server: ${value:-n/a}"
    printf 'vm\t%s\t%s\t%s\t-\n' "$server" "$workload" "${value:-n/a}" >>"$RESULTS/results.tsv"
  done
}

main() {
  [[ -x $HARNESS/run-iscsiadm.sh ]] || { say "no VM harness at $HARNESS (it lives outside this repository)"; exit 1; }
  [[ -f $HARNESS/cache/qemu.conf ]] || "$HARNESS/build.sh"
  mkdir -p "$RESULTS"
  : >"$RESULTS/results.tsv"
  "$ROOT/jtarget" check-config --config "$ROOT/conf/jtarget.xml" >/dev/null
  LUN_FILE=$(mktemp /dev/shm/jtarget-vmbench-XXXXXX.img)
  trap 'stop_servers; rm -f "$LUN_FILE"' EXIT
  trap 'exit 130' INT TERM
  fallocate -l "$LUN_BYTES" "$LUN_FILE"
  start_tgt tgt "$PORT_BASE" "$LUN_FILE"
  start_jtarget jtarget-wce1 $((PORT_BASE + 1)) "$LUN_FILE" on
  local server run
  for server in tgt jtarget-wce1; do
    warm_up write-4k "${SERVER_URL[$server]}" "${SERVER_PID[$server]}" >/dev/null ||
      { say "$server cannot take 4 KiB writes"; exit 1; }
    warm_up rand-read-4k "${SERVER_URL[$server]}" "${SERVER_PID[$server]}" >/dev/null ||
      { say "$server cannot take 4 KiB reads"; exit 1; }
  done
  for run in $(seq "$RUNS"); do
    for server in tgt jtarget-wce1; do
      vm_run "$server" "$run"
    done
  done
  {
    echo "Measured $STARTED with \`bench/vm-compare.sh\` (RUNS=$RUNS) on $(nproc) cores, guest under" \
      "$(sed -n 's/^ACCEL=//p' "$HARNESS/cache/qemu.conf" 2>/dev/null || echo '?'); load average $LOAD_BEFORE" \
      "before, $(cut -d ' ' -f 1-3 /proc/loadavg) after."
    echo
    { labels; cat "$RESULTS/results.tsv"; } | awk -f "$ROOT/bench/lib/medians.awk" -f "$ROOT/bench/lib/report.awk"
  } | tee "$RESULTS/table.md"
}

main "$@"
