#!/usr/bin/env bash
# Where a set's CPU goes under constant eviction, ours against memcached,
# split by thread and by kernel / user code, from Linux perf samples.
#
# Each server in turn: started on core 0 (-m 64, -t 1; THREADS and
# SERVER_CORES change both, e.g. THREADS=4 SERVER_CORES=0,1), filled, then a
# steady set-only load (50 connections, no pipelining, 16-byte keys, the
# key space of threads-bench.ts --only eviction) from core 1; `perf record`
# samples the server for 2 s in the middle of the steady window. Prints
# µs of server CPU per set for each (thread, code) pair: the sample count
# over the sampling rate, divided by the sets served in the window.
#
# Not a test and not a latency benchmark (threads-bench.ts is that): a
# profile to find which part of a set costs more than memcached's.
# Needs perf (linux-perf), memcached, and `npm run build` first.
#
#   bash benchmarks/profile/perf-eviction.sh [value bytes, default 100] [out dir]
#
# With --perf-basic-prof the report also names our JIT-compiled functions:
#   perf report -i OUT/ours.perf.data --comm WorkerThread --sort sym -g none
set -euo pipefail
VALUE=${1:-100}
THREADS=${THREADS:-1}
SERVER_CORES=${SERVER_CORES:-0}
OUT=${2:-$(mktemp -d)}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HZ=2000
SECONDS_SAMPLED=2
KEYS=$([ "$VALUE" -lt 512 ] && echo 1500000 || echo 200000)
mkdir -p "$OUT"

config() { # preload seed durationMs port pid
  echo "{\"host\":\"127.0.0.1\",\"port\":$4,\"serverPid\":$5,\"connections\":50,\"depth\":1,\"warmupMs\":500,\"durationMs\":$3,\"keyCount\":$KEYS,\"keySize\":16,\"valueSize\":$VALUE,\"getRatio\":0,\"keysPerGet\":1,\"preload\":$1,\"seed\":$2,\"ratePerSec\":0}"
}

profile() { # name server-command...
  local name=$1
  shift
  local port=$((20000 + RANDOM % 20000))
  taskset -c "$SERVER_CORES" "$@" -U 0 -l 127.0.0.1 -p $port -m 64 -t "$THREADS" >"$OUT/$name.server.log" 2>&1 &
  local server=$!
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  taskset -c 1 node "$ROOT/dist/benchmarks/worker.js" load "$(config true 7 3000 $port $server)" >"$OUT/$name.fill.json"
  taskset -c 1 node "$ROOT/dist/benchmarks/worker.js" load "$(config false 8 4000 $port $server)" >"$OUT/$name.steady.json" &
  local load=$!
  sleep 1.5
  perf record -F $HZ -g -p $server -o "$OUT/$name.perf.data" -- sleep $SECONDS_SAMPLED >/dev/null 2>&1
  wait $load
  kill $server
  wait $server 2>/dev/null || true
  local rate
  rate=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$OUT/$name.steady.json','utf8')).opsPerSec)")
  echo "$name: $(printf '%.0f' "$rate") sets/s in the steady window"
  perf report -i "$OUT/$name.perf.data" -n --no-children --sort comm,dso -g none --stdio 2>/dev/null |
    awk -v hz=$HZ -v rate="$rate" -v secs=$SECONDS_SAMPLED -v name="$name" '
      /^#/ || NF < 4 { next }
      { samples = $2; comm = $3; dso = $4; for (i = 5; i <= NF; i++) dso = dso " " $i
        kind = (dso ~ /kernel/) ? "kernel" : "user"
        us[comm " " kind] += samples / hz / (rate * secs) * 1e6; total += samples / hz / (rate * secs) * 1e6 }
      END { for (k in us) if (us[k] >= 0.05) printf "  %-28s %6.2f us/set\n", k, us[k]
            printf "  %-28s %6.2f us/set\n", "all", total }' | sort
}

profile memcached memcached -u nobody
profile ours node --perf-basic-prof "$ROOT/dist/lib/cli/main.js"
echo "perf data and load results in $OUT"
