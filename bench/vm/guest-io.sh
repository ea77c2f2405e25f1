#!/bin/sh
# Runs inside the ../shared/harness/vm guest (busybox ash) after the kernel initiator logged in to the LUN, in place of
# the harness's default workload; bench/vm-compare.sh passes it with --script. The guest has no fio, so the load comes
# from busybox dd with O_DIRECT: one stream of 1 MiB requests for sequential throughput, and 32 concurrent streams of
# 4 KiB requests, each in its own region of the disk, for a queue depth of 32 at the block layer. DESTROYS the LUN's
# contents. Appends "vm_<workload>_iops=N" (for 1 MiB requests IOPS equal MiB/s) to the harness's result line.
# FORCE_ROTATIONAL=0|1 (run-iscsiadm.sh --env) overrides the disk's rotational flag first.
set -u
D=$HARNESS_DEV
SEQ_MIB=${SEQ_MIB:-256}
STREAMS=32
PER_STREAM=${PER_STREAM:-256}            # 4 KiB requests per stream
REGION_BLOCKS=$((SEQ_MIB * 256 / STREAMS)) # 4 KiB blocks per stream's region

uptime_cs() { read -r up _ </proc/uptime; echo "$up" | tr -d .; }   # centiseconds since boot

# Runs "$@" and prints the IOPS of COUNT requests done in that time.
timed() {
  count=$1
  shift
  start=$(uptime_cs)
  "$@" || return 1
  end=$(uptime_cs)
  awk -v n="$count" -v cs=$((end - start)) 'BEGIN { if (cs < 1) cs = 1; printf "%.1f\n", n * 100 / cs }'
}

streams() {
  direction=$1 i=0 pids=""
  while [ $i -lt $STREAMS ]; do
    if [ "$direction" = write ]; then
      dd if=/dev/zero of="$D" bs=4k count="$PER_STREAM" seek=$((i * REGION_BLOCKS)) oflag=direct conv=notrunc \
        2>/dev/null &
    else
      dd if="$D" of=/dev/null bs=4k count="$PER_STREAM" skip=$((i * REGION_BLOCKS)) iflag=direct 2>/dev/null &
    fi
    pids="$pids $!"
    i=$((i + 1))
  done
  failed=0
  for pid in $pids; do wait "$pid" || failed=1; done
  return $failed
}

report() {
  echo "vm_$1_iops=$2" >>"$HARNESS_SUMMARY_FILE"
  echo "bench: $1 $2 IOPS"
}

# The block layer's view decides the guest's per-request cost (a rotational disk gets an I/O scheduler, a
# non-rotational one may get none), so the result line says what each target's disk got.
queue=/sys/block/${D#/dev/}/queue
if [ -n "${FORCE_ROTATIONAL:-}" ]; then echo "$FORCE_ROTATIONAL" >"$queue/rotational"; fi   # for A/B experiments
echo "vm_rotational=$(cat "$queue/rotational")" >>"$HARNESS_SUMMARY_FILE"
echo "vm_scheduler=$(sed 's/.*\[\(.*\)\].*/\1/' "$queue/scheduler")" >>"$HARNESS_SUMMARY_FILE"

iops=$(timed "$SEQ_MIB" dd if=/dev/zero of="$D" bs=1M count="$SEQ_MIB" oflag=direct conv=fsync 2>/dev/null) ||
  { echo "bench: sequential write failed"; exit 1; }
report seq_write_1m "$iops"
echo 3 >/proc/sys/vm/drop_caches
iops=$(timed "$SEQ_MIB" dd if="$D" of=/dev/null bs=1M count="$SEQ_MIB" iflag=direct 2>/dev/null) ||
  { echo "bench: sequential read failed"; exit 1; }
report seq_read_1m "$iops"
iops=$(timed $((STREAMS * PER_STREAM)) streams write) || { echo "bench: 4 KiB writes failed"; exit 1; }
report write_4k_qd32 "$iops"
iops=$(timed $((STREAMS * PER_STREAM)) streams read) || { echo "bench: 4 KiB reads failed"; exit 1; }
report read_4k_qd32 "$iops"
