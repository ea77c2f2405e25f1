# Starts and stops the iSCSI targets under test for bench/compare.sh (sourced, not run). Each start function serves
# one LUN backed by the file or device given, on 127.0.0.1:PORT, and records the server in the arrays below so that
# the workloads know its URL and process (whose CPU time they read) and stop_servers knows how to shut it down.
#
# Needs ROOT (the repository), WORK (scratch directory) and JAVA (a JDK 25 java) from the caller.

readonly BENCH_IQN="iqn.2026-11.dev.jtarget:bench"

declare -A SERVER_URL=() SERVER_PID=() SERVER_KIND=() SERVER_CONTROL=()

# Waits until something listens on PORT while process PID lives. A TCP probe would do, but jSCSI stops serving for
# good when a connection closes before its first PDU, so the listening socket is looked up with ss instead.
await_listening() {
  local name=$1 port=$2 pid=$3 log=$4
  local _
  for _ in $(seq 600); do
    if [[ -n $(ss -Hltn "sport = :$port") ]]; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "bench: $name did not come up on port $port; log tail:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# The Linux SCSI target framework's daemon, configured through its control socket as our TgtdServer test helper does.
# tgtd reserves LUN 0 for its controller, so the disk is LUN 1. tgt reports WCE=1 and writes through the page cache.
start_tgt() {
  local name=$1 port=$2 backing=$3
  local control=$((20000 + port)) log="$WORK/$name.log"
  tgtd -f -C "$control" --iscsi "portal=127.0.0.1:$port" >"$log" 2>&1 &
  local pid=$!
  await_listening "$name" "$port" "$pid" "$log"
  local _
  for _ in $(seq 50); do tgtadm -C "$control" --op show --mode sys >/dev/null 2>&1 && break; sleep 0.1; done
  tgtadm -C "$control" --lld iscsi --op new --mode target --tid 1 -T "$BENCH_IQN"
  tgtadm -C "$control" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$backing"
  tgtadm -C "$control" --lld iscsi --op bind --mode target --tid 1 -I ALL
  SERVER_URL[$name]="iscsi://127.0.0.1:$port/$BENCH_IQN/1"
  SERVER_PID[$name]=$pid
  SERVER_KIND[$name]=tgt
  SERVER_CONTROL[$name]=$control
}

# This project's server through its launcher (which execs java, so $! is the JVM), with the configuration as shipped
# except for the LUN: write-cache on or off, and optionally a write delay in front of the backend, with the number of
# requests the simulated device works on at once (0: no limit, like dm-delay).
start_jtarget() {
  local name=$1 port=$2 backing=$3 write_cache=$4 write_delay=${5:-} queue_depth=${6:-0}
  local config="$WORK/$name.xml" log="$WORK/$name.log" delay=""
  if [[ -n $write_delay ]]; then delay="<delay write=\"$write_delay\" queue-depth=\"$queue_depth\"/>"; fi
  cat >"$config" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<jtarget xmlns="urn:jtarget:config:1">
  <portal listen="127.0.0.1:$port"/>
  <target name="$BENCH_IQN">
    <lun id="0" write-cache="$write_cache">
      <file path="$backing" size="$LUN_BYTES"/>
      $delay
    </lun>
  </target>
</jtarget>
EOF
  "$ROOT/jtarget" serve --config "$config" >"$log" 2>&1 &
  local pid=$!
  await_listening "$name" "$port" "$pid" "$log"
  SERVER_URL[$name]="iscsi://127.0.0.1:$port/$BENCH_IQN/0"
  SERVER_PID[$name]=$pid
  SERVER_KIND[$name]=jtarget
}

# jSCSI target 2.5.2 from Maven Central, resolved once into bench/target/jscsi. Its schema ships inside its jar; its
# own main asks on stdin which address to bind, so bench/jscsi/JscsiTarget.java starts it on 127.0.0.1 instead.
start_jscsi() {
  local name=$1 port=$2 backing=$3
  local home="$ROOT/bench/target/jscsi" log="$WORK/$name.log" config="$WORK/$name.xml"
  if [[ ! -f $home/lib/target-2.5.2.jar ]]; then
    JAVA_HOME="$(dirname "$(dirname "$JAVA")")" mvn -B -q -f "$ROOT/bench/jscsi/pom.xml" \
      dependency:copy-dependencies -DoutputDirectory="$home/lib"
  fi
  unzip -p "$home/lib/target-2.5.2.jar" jscsi-target.xsd >"$WORK/jscsi-target.xsd"
  # DontCreate: the LUN is the existing file, its length the capacity.
  cat >"$config" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<configuration xmlns="http://www.jscsi.org/2010-04">
  <TargetList>
    <Target>
      <TargetName>$BENCH_IQN</TargetName>
      <AsyncFileStorage>
        <Path>$backing</Path>
        <DontCreate/>
      </AsyncFileStorage>
    </Target>
  </TargetList>
  <GlobalConfig>
    <Port>$port</Port>
  </GlobalConfig>
</configuration>
EOF
  "$JAVA" -cp "$home/lib/*" "$ROOT/bench/jscsi/JscsiTarget.java" "$WORK/jscsi-target.xsd" "$config" 127.0.0.1 \
    >"$log" 2>&1 &
  local pid=$!
  await_listening "$name" "$port" "$pid" "$log"
  SERVER_URL[$name]="iscsi://127.0.0.1:$port/$BENCH_IQN/0"
  SERVER_PID[$name]=$pid
  SERVER_KIND[$name]=jscsi
}

# tgtd ignores SIGTERM while it has targets, so it is shut down through its control socket; the Java servers stop on
# SIGTERM (ours writes back its cache first). Whatever still runs after 30 s is killed.
stop_servers() {
  local name pid control _
  for name in "${!SERVER_PID[@]}"; do
    pid=${SERVER_PID[$name]}
    if [[ ${SERVER_KIND[$name]} == tgt ]]; then
      control=${SERVER_CONTROL[$name]}
      tgtadm -C "$control" --lld iscsi --op delete --mode target --tid 1 --force >/dev/null 2>&1 || true
      tgtadm -C "$control" --op delete --mode system >/dev/null 2>&1 || true
    else
      kill "$pid" 2>/dev/null || true
    fi
  done
  for name in "${!SERVER_PID[@]}"; do
    pid=${SERVER_PID[$name]}
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [[ ${SERVER_KIND[$name]} == tgt ]]; then # tgtd leaves its control socket and lock file behind
      rm -f "/var/run/tgtd/socket.${SERVER_CONTROL[$name]}" "/var/run/tgtd/socket.${SERVER_CONTROL[$name]}.lock"
    fi
  done
  SERVER_URL=() SERVER_PID=() SERVER_KIND=() SERVER_CONTROL=()
}
