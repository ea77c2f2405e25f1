#!/usr/bin/env bash
# Issue 4 benchmark: 4 KiB writes at queue depth 32 to LUNs whose backend delays every write by 2 ms, WCE=1 (LUN 0,
# write-back cache) vs WCE=0 (LUN 1, write-through) on the same server in one run. 20000 writes per LUN (78 MiB),
# which fits the 256 MiB arena. Prints IOPS of each and the ratio.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PORT:-3262}"
COUNT="${COUNT:-20000}"
cd "$ROOT"
CP_FILE="$(mktemp)"
mvn -B -q -pl target-server -am test-compile dependency:build-classpath -Dmdep.outputFile="$CP_FILE" \
  -Dmdep.includeScope=test
CP="$ROOT/target-server/target/test-classes:$ROOT/target-server/target/classes:$(cat "$CP_FILE")"
java -Xmx256m --enable-native-access=ALL-UNNAMED -cp "$CP" dev.jtarget.server.DelayedLunBenchServer "$PORT" \
  > /tmp/jtarget-bench-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.2; done
iops() {
  local url="iscsi://127.0.0.1:$PORT/iqn.2026-11.dev.jtarget:bench.delayed/$1"
  local start end
  start=$(date +%s.%N)
  qemu-img bench -f raw -t none -w -d 32 -s 4k -c "$COUNT" "$url" > /dev/null
  end=$(date +%s.%N)
  echo "$COUNT / ($end - $start)" | bc -l
}
iops 0 > /dev/null # warm-up: JIT compilation and arena first touch would otherwise be charged to WCE=1
WCE1=$(iops 0)
WCE0=$(iops 1)
printf 'WCE=1 %.0f IOPS\nWCE=0 %.0f IOPS\nratio %.1fx\n' "$WCE1" "$WCE0" "$(echo "$WCE1 / $WCE0" | bc -l)"
