#!/usr/bin/env bash
# TaskHub fan-out benchmark: starts the local cluster (scripts/cluster.sh: 2 replicas + Redis backplane) and one
# baseline replica without Redis (in-process SignalR and presence) on the same MariaDB database, runs
# bench/TaskHub.Bench against both, prints the tables and stops everything it started.
#
#   bench/run.sh                       # N = 100,1000,5000, 3 reps × 15 s at 10 writes/s
#   BENCH_NS=100 BENCH_REPS=1 BENCH_SECONDS=5 bench/run.sh    # a quick smoke run
#   BENCH_POINTS=fanout,manyboards,writes,storm (the default: all points; any subset, e.g. BENCH_POINTS=storm)
#
# Beside TaskHub it runs a bare SignalR server (bench/TaskHub.BareSignalR, port base + 10) with the same clients and
# writes: the same-run floor every table is compared with (BENCH_BARE=0 leaves it out). For the REST-writes point a
# second one (port base + 12) makes TaskHub's own task-creation statements in the cluster's database: the floor of a
# write on this stack and machine (BENCH_BARE_DB=0 leaves it out).
# Points beyond the fan-out (bench/TaskHub.Bench/Points.cs, StormPoint.cs): many boards (BENCH_MB_BOARDS=1000,
# BENCH_MB_VIEWERS=5, BENCH_MB_RATE=50, BENCH_MB_WARMUP=10 s unrecorded first), REST writes (BENCH_WRITERS=16, BENCH_WRITES_SECONDS=10, BENCH_WRITES_REPS, BENCH_WRITES_WARMUP=3 s windows until the CPU per write stops falling and the JIT takes at most BENCH_WRITES_WARMUP_JIT=2 % of the servers' CPU, at most BENCH_WRITES_WARMUP_MAX=240 s; BENCH_WRITES_KEYED=1: every creation with an Idempotency-Key as the web client sends, =both: without and with in each rep),
# reconnect storm (BENCH_STORM_N=5000, BENCH_STORM_BOARDS=1, BENCH_STORM_REPS, BENCH_STORM_JITTER_MS=1000, BENCH_STORM_HANDOVER=1: the clients say ?handover=1 and move when asked; 0 = the old way, closed at the stop).
#
# Knobs: BENCH_ONLY=base|cluster, BENCH_PROTOCOL=json (default)|messagepack|json,messagepack (light clients' hub protocol; a list runs each
# configuration once per protocol, in that order, and prints JSON vs MessagePack side by side), BENCH_EVENTS=full|delta|full,delta
# (event shapes, the same way; with it, writes are title PATCHes of 50 tasks: see bench/TaskHub.Bench/DeltaWire.cs),
# BENCH_HUB_TOKEN=0 (readers put the JWT in the hub URL instead of the short hub token the browser uses),
# BENCH_TRACE=<dir> (+ BENCH_DOTNET_TRACE, BENCH_TRACE_N=5000: a CPU profile per configuration of its last rep; BENCH_TRACE_PHASE=connect profiles the N clients connecting and joining instead, BENCH_TRACE_CONNECT_SECONDS=8; =storm each storm rep's survivor, BENCH_TRACE_STORM_SECONDS=12; =stopping each storm rep's stopped replica, BENCH_TRACE_STOPPING_SECONDS=8 in all from 2 s before its SIGTERM; BENCH_STORM_WARMUP_S=30: seconds of writes before the storm's first stop; BENCH_TRACE_KIND=jit records the runtime's JIT events instead of CPU samples: read them with bench/TaskHub.CpuProfile <file> jit), BENCH_NOJOIN=1 (clients only handshake: memory of the bare transport), BENCH_NS, BENCH_REPS, BENCH_SECONDS, BENCH_RATE, BENCH_FULL_CLIENTS, BENCH_CATCHUP, BENCH_ORDER=base-first,
# BENCH_HEAD_INTERVAL (Realtime:HeadIntervalSeconds of the replicas, default 3600 = the periodic head/presence
# tick stays out of the measurement; see README), BENCH_PORT_BASE (default 5200: LB 5200, replicas 5201-5202,
# baseline 5209, apart from the default 5100.. cluster other worktrees may run).
# Same-run A/B of a runtime/transport setting: CLUSTER_REPLICA_ENV_2="K=V …" (or _1) gives one cluster replica extra
# settings (the bench prints CPU per delivery per replica and replica 2 ÷ replica 1); BENCH_BARE_ENV / BENCH_BARE2_ENV
# the bare SignalR server's, the second one started and measured as a further configuration (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.run/bench"
mkdir -p "$OUT" bench/results

# Sockets: N clients in this process, N/2 per cluster replica, N on the baseline.
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "[bench] open files limit: $(ulimit -n)"

PORT_BASE=${BENCH_PORT_BASE:-5200}
export LB_PORT=$PORT_BASE FIRST_PORT=$((PORT_BASE + 1)) REPLICAS=${BENCH_REPLICAS:-2} CLUSTER_DB=${CLUSTER_DB:-taskhub_bench}
export CLUSTER_READY_TO_RUN=${BENCH_READY_TO_RUN:-1}
BASE_PORT=$((PORT_BASE + 9))
export Realtime__HeadIntervalSeconds=${BENCH_HEAD_INTERVAL:-3600}
export Jwt__AccessTokenMinutes=1440
# The bench registers its users from one address, run after run; the sign-up throttle (Redis, shared by every cluster
# on the server) would answer 429 to a second run within a minute.
export Auth__Limits__PerAddressPerMinute=${Auth__Limits__PerAddressPerMinute:-100000}
BARE_PORT=$((PORT_BASE + 10))
BASE_PID=""
BARE_PID=""
BARE2_PID=""
BAREDB_PID=""

cleanup() {
  set +e
  if [ -n "$BASE_PID" ] && kill -0 "$BASE_PID" 2>/dev/null; then kill "$BASE_PID"; wait "$BASE_PID" 2>/dev/null; echo "[bench] baseline replica stopped"; fi
  rm -f "$OUT/baseline.pid"
  if [ -n "$BARE_PID" ] && kill -0 "$BARE_PID" 2>/dev/null; then kill "$BARE_PID"; wait "$BARE_PID" 2>/dev/null; echo "[bench] bare SignalR server stopped"; fi
  rm -f "$OUT/bare.pid"
  if [ -n "$BARE2_PID" ] && kill -0 "$BARE2_PID" 2>/dev/null; then kill "$BARE2_PID"; wait "$BARE2_PID" 2>/dev/null; echo "[bench] second bare SignalR server stopped"; fi
  rm -f "$OUT/bare2.pid"
  if [ -n "$BAREDB_PID" ] && kill -0 "$BAREDB_PID" 2>/dev/null; then kill "$BAREDB_PID"; wait "$BAREDB_PID" 2>/dev/null; echo "[bench] database floor server stopped"; fi
  rm -f "$OUT/baredb.pid"
  scripts/cluster.sh stop
}
trap cleanup EXIT INT TERM

# Replicas inherit this shell's limits and env: restart any cluster of this worktree so they get them.
scripts/cluster.sh stop >/dev/null 2>&1 || true
scripts/cluster.sh start

# CLUSTER_APP: a server built elsewhere (e.g. the previous commit, for a same-run before/after); by default the one
# scripts/cluster.sh published, compiled ReadyToRun as the container image is (BENCH_READY_TO_RUN=0: as `dotnet publish` does)
APP_NAME=app; [ "$CLUSTER_READY_TO_RUN" = 1 ] && APP_NAME=app-r2r
APP=${CLUSTER_APP:-"$ROOT/.run/cluster/$APP_NAME"}
if [ "${BENCH_ONLY:-}" != cluster ]; then
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
fi

dotnet build bench/TaskHub.Bench -c Release -v q --nologo -o "$OUT/bin" >/dev/null

start_bare() { # start_bare <name> <port> <extra env "K=V …">: sets STARTED_PID
  local extra=()
  read -r -a extra <<<"$3"
  (cd "$OUT/bare" && DOTNET_gcServer=1 exec env "${extra[@]}" dotnet TaskHub.BareSignalR.dll --urls "http://127.0.0.1:$2" >"$OUT/$1.log" 2>&1) &
  STARTED_PID=$!
  echo "$STARTED_PID" > "$OUT/$1.pid"
  for _ in $(seq 1 150); do curl -fsS -o /dev/null "http://127.0.0.1:$2/readyz" 2>/dev/null && break; sleep 0.2; done
  curl -fsS -o /dev/null "http://127.0.0.1:$2/readyz" || { echo "[bench] bare SignalR server did not start: $OUT/$1.log"; exit 1; }
  echo "[bench] bare SignalR server ($1${3:+, $3}): pid $STARTED_PID, http://127.0.0.1:$2"
}
if [ "${BENCH_BARE:-1}" = 1 ]; then
  dotnet build bench/TaskHub.BareSignalR -c Release -v q --nologo -o "$OUT/bare" >/dev/null
  start_bare bare "$BARE_PORT" "${BENCH_BARE_ENV:-}"
  BARE_PID=$STARTED_PID
  export BENCH_BARE_URL="http://127.0.0.1:$BARE_PORT" BENCH_BARE_PID="$BARE_PID" BENCH_BARE_LABEL="${BENCH_BARE_ENV:-}"
  # BENCH_BARE2_ENV: a second bare server with these settings, measured right after the first (a same-run A/B of a
  # runtime or transport setting on the floor itself; swap BENCH_BARE_ENV and BENCH_BARE2_ENV for the order check).
  if [ -n "${BENCH_BARE2_ENV:-}" ]; then
    start_bare bare2 "$((PORT_BASE + 11))" "$BENCH_BARE2_ENV"
    BARE2_PID=$STARTED_PID
    export BENCH_BARE2_URL="http://127.0.0.1:$((PORT_BASE + 11))" BENCH_BARE2_PID="$BARE2_PID" BENCH_BARE2_LABEL="$BENCH_BARE2_ENV"
  fi
  # The REST-writes point's database floor: one more bare server, which makes TaskHub's task-creation statements itself
  # in the cluster's database (bench/TaskHub.BareSignalR/BareDbWrite.cs), measured after the others (BENCH_BARE_DB=0: not);
  # its pooled connections without the driver's reset, as TaskHub takes them (src/TaskHub.Server/Data/MySqlConnections.cs).
  if [ "${BENCH_BARE_DB:-1}" = 1 ] && [[ ",${BENCH_POINTS:-writes}," == *",writes,"* ]]; then
    start_bare baredb "$((PORT_BASE + 12))" "BareDb__ConnectionString=Server=127.0.0.1;Port=3306;Database=$CLUSTER_DB;Uid=taskhub;Pwd=taskhub;ConnectionReset=false"
    BAREDB_PID=$STARTED_PID
    export BENCH_BAREDB_URL="http://127.0.0.1:$((PORT_BASE + 12))" BENCH_BAREDB_PID="$BAREDB_PID"
  fi
fi
# Per-replica settings of the cluster (CLUSTER_REPLICA_ENV_<i>, scripts/cluster.sh): the bench prints each replica's CPU
# per delivery and each replica ÷ replica 1 of the same reps; BENCH_REPLICAS=3: two variants beside one reference).
BENCH_REPLICA_LABELS=""
for i in $(seq 1 "$REPLICAS"); do v="CLUSTER_REPLICA_ENV_$i"; BENCH_REPLICA_LABELS+="$([ "$i" = 1 ] || echo "|")${!v:-}"; done
export BENCH_REPLICA_LABELS
# The reconnect storm restarts a replica with scripts/cluster.sh start (same LB_PORT/FIRST_PORT/CLUSTER_DB env).
export BENCH_LB_URL="http://127.0.0.1:$LB_PORT" BENCH_ROOT="$ROOT" BENCH_CLUSTER_DIR="$ROOT/.run/cluster"

BENCH_CLUSTER_URLS="" BENCH_CLUSTER_PIDS=""
for i in $(seq 1 "$REPLICAS"); do
  BENCH_CLUSTER_URLS+="${BENCH_CLUSTER_URLS:+,}http://127.0.0.1:$((FIRST_PORT + i - 1))"
  BENCH_CLUSTER_PIDS+="${BENCH_CLUSTER_PIDS:+,}$(cat ".run/cluster/replica-$i.pid")"
done
export BENCH_CLUSTER_URLS
# (the storm replaces replica PIDs; cleanup's cluster.sh stop reads the PID files, so it stops the new ones)
export BENCH_CLUSTER_PIDS
export BENCH_BASE_URL="http://127.0.0.1:$BASE_PORT" BENCH_BASE_PID="$BASE_PID"
case "${BENCH_ONLY:-}" in base) unset BENCH_CLUSTER_URLS ;; cluster) unset BENCH_BASE_URL ;; esac
STAMP=$(date -u +%Y%m%dT%H%MZ)
start=$(date +%s)
DOTNET_gcServer=0 DOTNET_TieredPGO=1 dotnet "$OUT/bin/TaskHub.Bench.dll" | tee "bench/results/$STAMP.txt"
echo "[bench] total $(( $(date +%s) - start )) s (plus cluster start-up)" | tee -a "bench/results/$STAMP.txt"
