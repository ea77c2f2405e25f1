# The simulated machines of bench/boot-storm.sh (sourced, not run): each is one qemu-io process, QEMU's own iSCSI
# driver (libiscsi) with an initiator name of its own, running a boot-order script (bench/lib/boot-order.awk).
# Everything runs as the invoking user; no root needed.

readonly MACHINE_IQN_PREFIX="iqn.2026-11.dev.jtarget.bench:machine"

# The qemu-io block options of machine INDEX's disk on the clone-per-initiator target at 127.0.0.1:PORT.
machine_disk() {
  local port=$1 target=$2 index=$3
  echo "driver=iscsi,transport=tcp,portal=127.0.0.1:$port,target=$target,lun=0,\
initiator-name=$MACHINE_IQN_PREFIX-$index"
}

# Runs one machine's boot and prints "INDEX STARTED LOGGED_IN DONE ERRORS" (times in seconds since the epoch, to the
# microsecond): STARTED just before qemu-io starts, LOGGED_IN when its first read (block 0) completed, that is after
# the TCP connection, the login (the clone created on the target), qemu's INQUIRY and READ CAPACITY probes and the
# one read; DONE when the last read completed, before the logout. ERRORS counts output lines that are neither a
# prompt nor one of the two plain reads' reports: a failed read prints one. The plain reads' lines are flushed at
# once (qemu-io flushes stdout before every prompt), so the times are those of the reads, give or take the
# scheduling of this loop.
boot_machine() {
  local index=$1 disk=$2 script=$3
  local started logged_in="" done="" errors=0 line
  started=$EPOCHREALTIME
  while IFS= read -r line; do
    line=${line//qemu-io> /}
    case $line in
      "read 512/512 bytes at offset 0")
        if [[ -z $logged_in ]]; then logged_in=$EPOCHREALTIME; else done=$EPOCHREALTIME; fi
        ;;
      "512 bytes, 1 ops; "* | "") ;;
      *)
        ((errors += 1))
        echo "machine $index: $line" >&2
        ;;
    esac
  done < <(qemu-io -r --image-opts "$disk" <"$script" 2>&1)
  if [[ -z $logged_in || -z $done ]]; then ((errors += 1)); fi
  echo "$index $started ${logged_in:-0} ${done:-0} $errors"
}

# Boots COUNT machines against the target at PORT, each starting at its own moment within WINDOW seconds (drawn
# with bash's RANDOM from SEED, sorted, so the same SEED gives the same schedule), and prints boot_machine's lines.
boot_storm() {
  local port=$1 target=$2 count=$3 window=$4 seed=$5 script=$6
  local index at previous=0
  local -a starts=() pids=()
  RANDOM=$seed
  for index in $(seq "$count"); do
    starts+=("$(awk -v r="$RANDOM" -v w="$window" 'BEGIN { printf "%.3f", r / 32768 * w }')")
  done
  mapfile -t starts < <(printf '%s\n' "${starts[@]}" | sort -n)
  index=0
  for at in "${starts[@]}"; do
    index=$((index + 1))
    sleep "$(awk -v a="$at" -v p="$previous" 'BEGIN { printf "%.3f", a - p }')"
    previous=$at
    boot_machine "$index" "$(machine_disk "$port" "$target" "$index")" "$script" &
    pids+=($!)
  done
  # The machines only: a bare wait would also wait for the server, a child of the same shell.
  wait "${pids[@]}"
}

# How long qemu-io takes to start and read one block of a disk that answers at once (QEMU's null driver), as
# "LOGGED_IN - STARTED" seconds: the part of a machine's login time that is the client's own start-up. Median of 5.
client_start_seconds() {
  local script=$1 _
  for _ in 1 2 3 4 5; do
    boot_machine 0 "driver=null-co,size=$((1024 * 1024))" "$script" | awk '{ printf "%.6f\n", $3 - $2 }'
  done | sort -n | sed -n 3p
}
