#!/usr/bin/env bash
# TaskHub fan-out benchmark: starts the local cluster (scripts/cluster.sh: 2 replicas + Redis backplane) and one
# baseline replica without Redis (in-process SignalR and presence) on the same MariaDB database, runs
# bench/TaskHub.Bench against both, prints the tables and stops everything it started.
#
#   bench/run.sh                       # N = 100,1000,5000, 3 reps × 15 s at 10 writes/s
#   BENCH_NS=100 BENCH_REPS=1 BENCH_SECONDS=5 bench/run.sh    # a quick smoke run
#
# Knobs: BENCH_ONLY=base|cluster, BENCH_PROTOCOL=json (default)|messagepack|json,messagepack (light clients' hub protocol; a list runs each
# configuration once per protocol, in that order, and prints JSON vs MessagePack side by side), BENCH_NOJOIN=1 (clients only handshake: memory of the bare transport), BENCH_NS, BENCH_REPS, BENCH_SECONDS, BENCH_RATE, BENCH_FULL_CLIENTS, BENCH_CATCHUP, BENCH_ORDER=base-first,
# BENCH_HEAD_INTERVAL (Realtime:HeadIntervalSeconds of the replicas, default 3600 = the periodic head/presence
# tick stays out of the measurement; see README), BENCH_PORT_BASE (default 5200: LB 5200, replicas 5201-5202,
# baseline 5209, apart from the default 5100.. cluster other worktrees may run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.run/bench"
mkdir -p "$OUT" bench/results

# Sockets: N clients in this process, N/2 per cluster replica, N on the baseline.
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "[bench] open files limit: $(ulimit -n)"

PORT_BASE=${BENCH_PORT_BASE:-5200}
export LB_PORT=$PORT_BASE FIRST_PORT=$((PORT_BASE + 1)) REPLICAS=2 CLUSTER_DB=${CLUSTER_DB:-taskhub_bench}
BASE_PORT=$((PORT_BASE + 9))
export Realtime__HeadIntervalSeconds=${BENCH_HEAD_INTERVAL:-3600}
export Jwt__AccessTokenMinutes=1440
BASE_PID=""

cleanup() {
  set +e
  if [ -n "$BASE_PID" ] && kill -0 "$BASE_PID" 2>/dev/null; then kill "$BASE_PID"; wait "$BASE_PID" 2>/dev/null; echo "[bench] baseline replica stopped"; fi
  rm -f "$OUT/baseline.pid"
  scripts/cluster.sh stop
}
trap cleanup EXIT INT TERM

# Replicas inherit this shell's limits and env: restart any cluster of this worktree so they get them.
scripts/cluster.sh stop >/dev/null 2>&1 || true
scripts/cluster.sh start

APP="$ROOT/.run/cluster/app"
(
  cd "$APP"
  export ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=1 Logging__LogLevel__Default=Warning
  export ConnectionStrings__MySql="Server=127.0.0.1;Port=3306;Database=$CLUSTER_DB;User ID=taskhub;Password=taskhub;Maximum Pool Size=200"
  Jwt__SigningKey="$(cat "$ROOT/.run/cluster/jwt.key")"
  export Jwt__SigningKey
  unset ConnectionStrings__Redis
  exec dotnet TaskHub.Server.dll --urls "http://127.0.0.1:$BASE_PORT" >"$OUT/baseline.log" 2>&1
) &
BASE_PID=$!
echo "$BASE_PID" > "$OUT/baseline.pid"
for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$BASE_PORT/readyz" 2>/dev/null && break; sleep 0.2; done
curl -fsS -o /dev/null "http://127.0.0.1:$BASE_PORT/readyz" || { echo "[bench] baseline replica did not start: $OUT/baseline.log"; exit 1; }
echo "[bench] baseline replica: pid $BASE_PID, http://127.0.0.1:$BASE_PORT (no Redis)"

dotnet build bench/TaskHub.Bench -c Release -v q --nologo -o "$OUT/bin" >/dev/null

export BENCH_CLUSTER_URLS="http://127.0.0.1:$FIRST_PORT,http://127.0.0.1:$((FIRST_PORT + 1))"
BENCH_CLUSTER_PIDS="$(cat .run/cluster/replica-1.pid),$(cat .run/cluster/replica-2.pid)"
export BENCH_CLUSTER_PIDS
export BENCH_BASE_URL="http://127.0.0.1:$BASE_PORT" BENCH_BASE_PID="$BASE_PID"
case "${BENCH_ONLY:-}" in base) unset BENCH_CLUSTER_URLS ;; cluster) unset BENCH_BASE_URL ;; esac
STAMP=$(date -u +%Y%m%dT%H%MZ)
start=$(date +%s)
DOTNET_gcServer=0 DOTNET_TieredPGO=1 dotnet "$OUT/bin/TaskHub.Bench.dll" | tee "bench/results/$STAMP.txt"
echo "[bench] total $(( $(date +%s) - start )) s (plus cluster start-up)" | tee -a "bench/results/$STAMP.txt"
