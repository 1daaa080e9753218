#!/usr/bin/env bash
# REST write benchmark, embedded mode (one replica on SQLite): 16 writers creating tasks on one board and
# spread over 100 boards, with the SQLite write queue on and off (Database:SqliteWriteQueue) in the same run,
# alternating, each on a fresh database. Prints writes/s, p50/p99 ms and the replica's CPU per write, and the
# medians. See bench/README.md ("REST writes").
#
#   bench/writes.sh                         # 3 reps × 15 s per point
#   BENCH_REPS=1 BENCH_SECONDS=5 bench/writes.sh
#
# Knobs: BENCH_REPS (3), BENCH_SECONDS (15), BENCH_WRITERS (16), BENCH_WRITES_PORT (5511).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.run/bench"
APP="$ROOT/.run/cluster/app"   # the same published app scripts/cluster.sh uses
PORT=${BENCH_WRITES_PORT:-5511}
REPS=${BENCH_REPS:-3}
mkdir -p "$OUT" bench/results
# shellcheck source=scripts/lib/common.sh
. scripts/lib/common.sh

PIDFILE="$OUT/writes-replica.pid"
stop_replica() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; fi
    rm -f "$PIDFILE"
  fi
}
trap stop_replica EXIT INT TERM

npm_ci tools/bench node_modules/autocannon/package.json
if [ ! -f "$APP/TaskHub.Server.dll" ] || [ -n "$(find src/TaskHub.Server -newer "$APP/TaskHub.Server.dll" -name '*.cs' -print -quit)" ]; then
  echo "[writes] publishing the server"
  dotnet publish src/TaskHub.Server -c Release -o "$APP" --nologo -v q >/dev/null
fi

STAMP=$(date -u +%Y%m%dT%H%MZ)
RESULTS="bench/results/$STAMP-writes.txt"
: > "$OUT/writes.jsonl"

run_point() { # run_point <queue on|off> <boards> <rep>
  local queue=$1 boards=$2 rep=$3 db="$OUT/writes-$1-$2-$3.db"
  rm -f "$db" "$db-wal" "$db-shm"
  (
    cd "$APP"
    ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=1 \
    ConnectionStrings__Sqlite="Data Source=$db" ConnectionStrings__MySql='' ConnectionStrings__Redis='' \
    Database__SqliteWriteQueue=$([ "$queue" = on ] && echo true || echo false) Database__MigrateOnStart=true \
    Jwt__SigningKey="bench-signing-key-0123456789-abcdefghijklmnop" Jwt__AccessTokenMinutes=1440 \
    Auth__Limits__PerAddressPerMinute=100000 Auth__Limits__PerAccountPerMinute=100000 \
    Logging__LogLevel__Default=Warning Realtime__HeadIntervalSeconds=3600 \
    nohup dotnet TaskHub.Server.dll --urls "http://127.0.0.1:$PORT" > "$OUT/writes-replica.log" 2>&1 &
    echo $! > "$PIDFILE" # the PID of dotnet itself (nohup execs it), so stop_replica stops the server
  )
  if ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q LISTEN && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "[writes] port $PORT is taken by another process"; exit 1
  fi
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
  kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "[writes] the replica did not start:"; tail -5 "$OUT/writes-replica.log"; exit 1; }
  BENCH_URL="http://127.0.0.1:$PORT" BENCH_PID=$(cat "$PIDFILE") BENCH_BOARDS=$boards BENCH_LABEL="queue $queue" \
    node bench/writes.mjs | tee -a "$OUT/writes.jsonl"
  stop_replica
}

for rep in $(seq 1 "$REPS"); do
  for boards in 1 100; do
    if [ $((rep % 2)) = 1 ]; then run_point on "$boards" "$rep"; run_point off "$boards" "$rep"
    else run_point off "$boards" "$rep"; run_point on "$boards" "$rep"; fi
  done
done

# shellcheck disable=SC2016 # a node program, not shell
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
console.log("| writers | boards | SQLite write queue | writes/s | p50 ms | p99 ms | CPU ms/write | errors |");
console.log("|---:|---:|---|---:|---:|---:|---:|---:|");
const med = {};
for (const boards of [1, 100]) for (const label of ["queue on", "queue off"]) {
  const r = rows.filter((x) => x.boards === boards && x.label === label);
  if (!r.length) continue;
  const m = { perSecond: median(r.map((x) => x.perSecond)), p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)),
    cpu: median(r.map((x) => x.cpuMsPerWrite)), errors: r.reduce((a, x) => a + x.errors, 0) };
  med[boards + label] = m;
  console.log(`| ${r[0].writers} | ${boards} | ${label.replace("queue ", "")} | ${m.perSecond} | ${m.p50} | ${m.p99} | ${m.cpu.toFixed(2)} | ${m.errors} |`);
}
for (const boards of [1, 100]) {
  const on = med[boards + "queue on"], off = med[boards + "queue off"];
  if (on && off) console.log(`${boards} board(s): queue on ÷ off — p99 ${(on.p99 / off.p99).toFixed(2)}×, writes/s ${(on.perSecond / off.perSecond).toFixed(2)}×, CPU/write ${(on.cpu / off.cpu).toFixed(2)}×`);
}
console.log("load average after: " + require("fs").readFileSync("/proc/loadavg", "utf8").trim());
' "$OUT/writes.jsonl" | tee "$RESULTS"
echo "[writes] results: $RESULTS"
