#!/usr/bin/env bash
# Boot-storm benchmark of a clone-per-initiator target (README "Diskless build farm"): N machines with initiator names
# of their own log in to one target at about the same time, each gets its copy-on-write clone of one golden image
# created at its first login, and each reads the same IMAGE_MIB MiB of it in the same boot-like order
# (bench/lib/boot-order.awk: extents of 4-256 KiB, mostly forward, some jumps and re-reads). Prints a Markdown table
# for the README. Also run by ./jtarget bench boot-storm. A benchmark: nothing here asserts a time.
#
# The machines are qemu-io processes (QEMU's iSCSI driver, libiscsi; bench/lib/machines.sh), each reading at queue
# depth 1 as a booting kernel mostly does; they start at moments spread over START_WINDOW seconds, not in lockstep.
# The image and the clones live on tmpfs, so the target's CPU and its shared image read cache are measured, not a
# disk; the image bytes come from the line the server logs at shutdown ("... bytes read from the image file, ...").
#
# A fresh server serves every run of a row, so each starts with an empty read cache and no clones. Before the storm,
# two unmeasured machines boot from a small second image on a second target of the same server, so the JIT has
# compiled the read path without touching the measured image's cache. Every run of a row reads in the same order;
# the start schedule of run R is drawn from SEED + R - 1. Login and boot times are pooled over the machines of all
# runs of a row; the all-done time, aggregate rate and image counters are those of the row's median run.
#
# Environment (defaults in brackets):
#   MACHINES ["1 10 50"]  storm sizes, each with every cache of CACHES   CACHES ["64MiB 256MiB"] read-cache values
#   UNCACHED_MACHINES ["50"] storm sizes also run with read-cache="0"     IMAGE_MIB [200] image size, all of it read
#   START_WINDOW [2] seconds over which the machines start                SEED [1] boot order and start schedule
#   RUNS [3] runs of every row                                          PORT [3490] the target's port on 127.0.0.1
#   RESULTS [bench/target/results/boot-storm-DATE] raw results and server logs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
MACHINES=${MACHINES:-1 10 50}
CACHES=${CACHES:-64MiB 256MiB}
UNCACHED_MACHINES=${UNCACHED_MACHINES-50}
IMAGE_MIB=${IMAGE_MIB:-200}
START_WINDOW=${START_WINDOW:-2}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
PORT=${PORT:-3490}
STARTED="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD_BEFORE=$(cut -d ' ' -f 1-3 /proc/loadavg)
RESULTS=${RESULTS:-$ROOT/bench/target/results/boot-storm-$(date -u +%Y%m%dT%H%M%SZ)}
readonly WARM_UP_MIB=32
WORK=$RESULTS # servers.sh keeps its logs here

source "$ROOT/bench/lib/servers.sh"
source "$ROOT/bench/lib/machines.sh"

readonly STORM_IQN="$BENCH_IQN.boot-storm"
readonly WARM_UP_IQN="$BENCH_IQN.warm-up"

say() {
  echo "boot-storm: $*" >&2
}

require_tools() {
  local -a missing=()
  command -v qemu-io >/dev/null 2>&1 || missing+=(qemu-utils)
  # qemu-io speaks iSCSI only with the block driver packaged apart from it.
  dpkg-query -W -f='${Status}' qemu-block-extra 2>/dev/null | grep -q 'install ok installed' ||
    missing+=(qemu-block-extra)
  command -v ss >/dev/null 2>&1 || missing+=(iproute2)
  if ((${#missing[@]} > 0)); then
    say "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})"
    exit 1
  fi
}

# A configuration with the measured image (read cache CACHE) behind the storm target and the warm-up image behind
# its own target, every clone in a directory of RUN_DIR that is empty at the start.
write_config() {
  local config=$1 cache=$2 run_dir=$3
  mkdir -p "$run_dir/clones" "$run_dir/warm-up-clones"
  cat >"$config" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<jtarget xmlns="urn:jtarget:config:1">
  <portal listen="127.0.0.1:$PORT"/>
  <image name="golden" path="$IMAGE" read-cache="$cache"/>
  <image name="warm-up" path="$WARM_UP_IMAGE"/>
  <target name="$STORM_IQN">
    <clone-per-initiator image="golden" dir="$run_dir/clones"/>
  </target>
  <target name="$WARM_UP_IQN">
    <clone-per-initiator image="warm-up" dir="$run_dir/warm-up-clones"/>
  </target>
</jtarget>
EOF
}

# Fails unless every machine line of FILE reports no error.
check_machines() {
  local file=$1 what=$2
  if awk '$5 != 0 { bad++ } END { exit bad > 0 ? 0 : 1 }' "$file"; then
    say "$what: some machines failed (see $file and the server log)"
    return 1
  fi
}

# One run of a row: a fresh server with read cache CACHE, the warm-up, then COUNT machines booting at once. Prints
# the machines' times, the clone creation times and the image cache's counters, each line tagged with the run.
run_storm() {
  local run=$1 cache=$2 count=$3
  local name="storm-$count-$cache-run$run"
  local run_dir="$SCRATCH/$name" config="$WORK/$name.xml" log="$WORK/$name.log" machines="$WORK/$name.machines"
  write_config "$config" "$cache" "$run_dir"
  "$ROOT/jtarget" serve --config "$config" >"$log" 2>&1 &
  SERVER_PID[$name]=$!
  SERVER_KIND[$name]=jtarget
  await_listening "$name" "$PORT" "${SERVER_PID[$name]}" "$log"
  boot_storm "$PORT" "$WARM_UP_IQN" 2 0.2 "$SEED" "$WARM_UP_SCRIPT" >"$WORK/$name.warm-up"
  check_machines "$WORK/$name.warm-up" "$name warm-up"
  say "$name: $count machines, read-cache=\"$cache\""
  boot_storm "$PORT" "$STORM_IQN" "$count" "$START_WINDOW" $((SEED + run - 1)) "$SCRIPT" >"$machines"
  stop_servers
  check_machines "$machines" "$name"
  rm -rf "$run_dir"
  local tag="$cache\t$count\t$run"
  awk -v tag="$tag" '{ print "machine\t" tag "\t" $2 "\t" $3 "\t" $4 }' "$machines"
  sed -n "s/.* $STORM_IQN: created the clone of .* in \([0-9]*\) ms: .*/clone\t$tag\t\1/p" "$log"
  local counters
  local number='\([0-9]*\)'
  counters=$(sed -n "s|.*read cache of $IMAGE (.*): $number bytes read from the image file, $number chunk hits,\
 $number misses, $number uncached reads|\1\t\2\t\3\t\4|p" "$log")
  if [[ -z $counters ]]; then
    say "$name: the server logged no read cache counters for $IMAGE (see $log)"
    return 1
  fi
  printf 'image\t%b\t%s\n' "$tag" "$counters"
}

main() {
  require_tools
  mkdir -p "$RESULTS"
  say "building jtarget; results and logs in $RESULTS"
  "$ROOT/jtarget" check-config --config "$ROOT/conf/jtarget.xml" >/dev/null
  SCRATCH=$(mktemp -d /dev/shm/jtarget-boot-storm-XXXXXX)
  trap 'stop_servers; rm -rf "$SCRATCH"' EXIT
  trap 'exit 130' INT TERM
  # Random bytes: nothing on the way (a zero-block check, compression) can shortcut the reads.
  IMAGE=$SCRATCH/golden.raw
  WARM_UP_IMAGE=$SCRATCH/warm-up.raw
  head -c $((IMAGE_MIB * 1024 * 1024)) /dev/urandom >"$IMAGE"
  head -c $((WARM_UP_MIB * 1024 * 1024)) /dev/urandom >"$WARM_UP_IMAGE"
  SCRIPT=$WORK/boot.qemu-io
  WARM_UP_SCRIPT=$WORK/warm-up.qemu-io
  awk -v MIB="$IMAGE_MIB" -v SEED="$SEED" -f "$ROOT/bench/lib/boot-order.awk" >"$SCRIPT"
  awk -v MIB="$WARM_UP_MIB" -v SEED="$SEED" -f "$ROOT/bench/lib/boot-order.awk" >"$WARM_UP_SCRIPT"
  printf 'read 0 512\nread 0 512\n' >"$WORK/start.qemu-io"
  local client_start
  client_start=$(client_start_seconds "$WORK/start.qemu-io")

  : >"$RESULTS/results.tsv"
  local run cache count
  # Round after round of every row, so that a noisy minute of the shared machine falls on one run of many rows
  # rather than on every run of one row.
  for run in $(seq "$RUNS"); do
    for cache in $CACHES; do
      for count in $MACHINES; do
        run_storm "$run" "$cache" "$count" >>"$RESULTS/results.tsv"
      done
    done
    for count in $UNCACHED_MACHINES; do
      run_storm "$run" 0 "$count" >>"$RESULTS/results.tsv"
    done
  done

  {
    echo "Measured $STARTED with \`bench/boot-storm.sh\` (RUNS=$RUNS, MACHINES=\"$MACHINES\", CACHES=\"$CACHES\"," \
      "UNCACHED_MACHINES=\"$UNCACHED_MACHINES\", IMAGE_MIB=$IMAGE_MIB, START_WINDOW=$START_WINDOW, SEED=$SEED) on" \
      "$(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r)," \
      "qemu-io $(qemu-io --version | sed -n '1s/^qemu-io version \([^ ]*\).*/\1/p'), shared by the machines and the" \
      "server; load average $LOAD_BEFORE before, $(cut -d ' ' -f 1-3 /proc/loadavg) after. Each machine read" \
      "$(awk '{ n++ } $2 == "-q" { s += $4 } END { printf "%.1f MiB in %d reads", s / 1048576, n }' "$SCRIPT");" \
      "qemu-io alone starts and reads a block of its null driver in $(awk -v s="$client_start" \
        'BEGIN { printf "%.0f", s * 1000 }') ms, part of every login time below."
    echo
    awk -v image_bytes=$((IMAGE_MIB * 1024 * 1024)) -v script="$SCRIPT" -f "$ROOT/bench/lib/medians.awk" \
      -f "$ROOT/bench/lib/boot-storm-report.awk" "$RESULTS/results.tsv"
  } | tee "$RESULTS/table.md"
}

main "$@"
