#!/usr/bin/env bash
# What an idle cluster costs: the replicas', MariaDB's and Redis's CPU, MariaDB's queries and Redis's commands per
# second, while nobody uses TaskHub (no clients, no writes), after a warm-up. Two variants side by side on the local
# cluster (scripts/cluster.sh: 2 replicas, Redis, nginx), one after the other, alternating which goes first, so both
# see the same machine; prints each run, the medians and B ÷ A.
#
#   BENCH_BASE_APP=/tmp/base-app bench/idle.sh                          # another published build (A) vs this one (B)
#   BENCH_ENV_A="Outbox__PollIntervalSeconds=0.5" bench/idle.sh         # this build with a setting (A) and without (B)
#
# Knobs: BENCH_BASE_APP, BENCH_ENV_A / BENCH_ENV_B (extra settings, "K=V K2=V2"), BENCH_REPS (pairs, 3), BENCH_WARMUP
# (seconds after the cluster is ready, 45), BENCH_SECONDS (the window measured, 60), BENCH_PORT_BASE (5860: nginx there,
# the replicas on the next two), CLUSTER_DB (taskhub_idle). Loopback only; every process it starts is stopped by its PID
# (scripts/cluster.sh's PID files).
set -euo pipefail
shopt -s inherit_errexit # (a failing reading inside `row=$(run …)` stops the script, not a silent 0)
cd "$(dirname "$0")/.."
ROOT=$PWD
REPS=${BENCH_REPS:-3}
WARMUP=${BENCH_WARMUP:-45}
SECONDS_MEASURED=${BENCH_SECONDS:-60}
PORT=${BENCH_PORT_BASE:-5860}
export CLUSTER_DB=${CLUSTER_DB:-taskhub_idle}
APP="$ROOT/.run/cluster/app"
APP_A=${BENCH_BASE_APP:-$APP}
OUT="$ROOT/bench/results/$(date -u +%Y%m%dT%H%MZ)-idle.txt"
mkdir -p "$ROOT/bench/results"

log() { printf '[idle] %s\n' "$*" >&2; }

bash scripts/services.sh start >/dev/null
CUR="" # the run directory whose cluster is up: stopped whatever ends the script
trap '[ -z "$CUR" ] || CLUSTER_DIR="$CUR" scripts/cluster.sh stop >/dev/null 2>&1 || true' EXIT

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, in clock ticks
HZ=$(getconf CLK_TCK)
SERVICES_DIR="${TASKHUB_SERVICES_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/taskhub-services}" # (scripts/services.sh's PID files)
mysql_questions() { mariadb --protocol=tcp -h127.0.0.1 -utaskhub -ptaskhub -N -e "SHOW GLOBAL STATUS LIKE 'Questions'" | awk '{print $2}'; }
redis_commands() { redis-cli -h 127.0.0.1 -p 6379 INFO stats | tr -d '\r' | awk -F: '/^total_commands_processed/{print $2}'; }

run() { # run <A or B> <app> <extra env>: prints "replicas_ms_per_s mariadb_ms_per_s redis_ms_per_s queries_per_s commands_per_s"
  local app=$2 extra=$3 dir="$ROOT/.run/idle-$1"
  rm -rf "$dir"; mkdir -p "$dir"
  # (this build: published again by scripts/cluster.sh when its sources are newer, before the replicas start)
  local rebuild=0; [ "$app" = "$APP" ] && rebuild=1
  # shellcheck disable=SC2086 # (extra is "K=V K2=V2", split on purpose)
  env $extra CLUSTER_DIR="$dir" CLUSTER_APP="$app" CLUSTER_APP_REBUILD=$rebuild LB_PORT="$PORT" FIRST_PORT=$((PORT + 1)) \
    scripts/cluster.sh start >/dev/null 2>"$dir/start.log" || { cat "$dir/start.log" >&2; return 1; }
  sleep "$WARMUP"
  local r1 r2 m rd q0 c0 a1 a2 am ar
  r1=$(cat "$dir/replica-1.pid"); r2=$(cat "$dir/replica-2.pid"); m=$(cat /run/mysqld/mysqld.pid); rd=$(cat "$SERVICES_DIR/redis.pid" 2>/dev/null || true)
  a1=$(ticks "$r1"); a2=$(ticks "$r2"); am=$(ticks "$m"); ar=$([ -n "$rd" ] && ticks "$rd" || echo 0)
  q0=$(mysql_questions); c0=$(redis_commands)
  sleep "$SECONDS_MEASURED"
  local replicas mariadb redis queries commands
  replicas=$(( ($(ticks "$r1") - a1 + $(ticks "$r2") - a2) * 1000 ))
  mariadb=$(( ($(ticks "$m") - am) * 1000 ))
  redis=$(( ($([ -n "$rd" ] && ticks "$rd" || echo 0) - ar) * 1000 ))
  queries=$(( $(mysql_questions) - q0 )); commands=$(( $(redis_commands) - c0 ))
  CLUSTER_DIR="$dir" scripts/cluster.sh stop >/dev/null 2>&1 || true
  for _ in $(seq 1 150); do kill -0 "$r1" 2>/dev/null || kill -0 "$r2" 2>/dev/null || break; sleep 0.2; done # (their ports, free for the next)
  awk -v r="$replicas" -v m="$mariadb" -v d="$redis" -v q="$queries" -v c="$commands" -v hz="$HZ" -v s="$SECONDS_MEASURED" \
    'BEGIN { printf "%.1f %.1f %.1f %.1f %.1f\n", r / hz / s, m / hz / s, d / hz / s, q / s, c / s }'
}

{
  echo "TaskHub idle cluster $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $REPS pairs, warm-up ${WARMUP} s, ${SECONDS_MEASURED} s measured"
  echo "A: $APP_A ${BENCH_ENV_A:-}; B: $APP ${BENCH_ENV_B:-}"
  echo "load average before: $(cat /proc/loadavg)"
  echo "(the replicas' CPU is both replicas' together; MariaDB's queries and Redis's commands count every client of the shared servers)"
} | tee "$OUT"

A_ROWS=(); B_ROWS=()
for rep in $(seq 1 "$REPS"); do
  order="A B"; [ $((rep % 2)) = 0 ] && order="B A"
  for v in $order; do
    CUR="$ROOT/.run/idle-$v"
    if [ "$v" = A ]; then row=$(run A "$APP_A" "${BENCH_ENV_A:-}"); A_ROWS+=("$row")
    else row=$(run B "$APP" "${BENCH_ENV_B:-}"); B_ROWS+=("$row"); fi
    CUR=""
    read -r rr mm dd qq cc <<<"$row"
    echo "rep $rep $v: replicas $rr ms/s, MariaDB $mm ms/s, Redis $dd ms/s, $qq queries/s, $cc Redis commands/s" | tee -a "$OUT"
  done
done

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
{
  echo
  echo "| medians of $REPS | A | B | B ÷ A |"
  echo "|---|---:|---:|---:|"
  i=1
  for name in "replicas' CPU, ms/s" "MariaDB's CPU, ms/s" "Redis's CPU, ms/s" "MariaDB queries/s" "Redis commands/s"; do
    a=$(printf '%s\n' "${A_ROWS[@]}" | awk -v i=$i '{print $i}' | median)
    b=$(printf '%s\n' "${B_ROWS[@]}" | awk -v i=$i '{print $i}' | median)
    awk -v n="$name" -v a="$a" -v b="$b" 'BEGIN { printf "| %s | %.1f | %.1f | %s |\n", n, a, b, (a > 0 ? sprintf("%.2f×", b / a) : "–") }'
    i=$((i + 1))
  done
} | tee -a "$OUT"
log "written to $OUT"
