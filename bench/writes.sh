#!/usr/bin/env bash
# REST write benchmark: 16 writers creating tasks on one board and spread over 100 boards, against one replica
# (embedded SQLite by default, or MariaDB), two variants in the same run, alternating which goes first, each point
# on a fresh database. Prints writes/s, p50/p99 ms and the replica's CPU per write, and the medians with the B ÷ A
# ratios. See bench/README.md ("REST writes").
#
#   bench/writes.sh                                   # queue: SQLite write queue on vs off, 3 reps × 15 s
#   BENCH_COMPARE=build BENCH_BASE_APP=/tmp/base-app bench/writes.sh   # another published build (A) vs this one (B) (BENCH_ENV_A / _B: extra env on each)
#   BENCH_COMPARE=env BENCH_ENV_B="DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0" bench/writes.sh  # this build, extra env on B
#   BENCH_COMPARE=keyed bench/writes.sh               # creations (BENCH_REQUEST=edit: edits) without (A) and with (B) an Idempotency-Key each
#   BENCH_DB=mysql bench/writes.sh                    # MariaDB (a fresh database per point, migrated first)
#   BENCH_PAIRED=1 BENCH_COMPARE=mysqld BENCH_MYSQLD_ARGS_B="--thread-handling=pool-of-threads" bench/writes.sh
#                                                     # MariaDB settings: A and B each on a private MariaDB server of its
#                                                     # own (fresh data directory, the compose file's settings plus
#                                                     # BENCH_MYSQLD_ARGS_A / _B), started and stopped here
#   BENCH_REPS=1 BENCH_SECONDS=5 bench/writes.sh
#   BENCH_PAIRED=1 BENCH_COMPARE=build BENCH_BASE_APP=/tmp/base-app bench/writes.sh  # both variants at once (below)
#
# Paired (BENCH_PAIRED=1): A and B run side by side (swapping which starts first, on BENCH_WRITES_PORT, every other rep), each its own replica, database and
# 16 writers, warmed up and measured over the same seconds, so both share whatever else the machine does; their ratio
# is the figure to read (each one's writes/s is about half of what it gets alone). MariaDB's runs move by ±40 % between
# runs here, so A/Bs on MariaDB are paired.
#
# Knobs: BENCH_COMPARE (queue|build|env|keyed|mysqld), BENCH_APP (the published server to run, as it is: e.g. .run/cluster/app-r2r,
# the cluster's ReadyToRun build, as the image ships it), BENCH_BASE_APP, BENCH_ENV_A, BENCH_ENV_B, BENCH_DB (sqlite|mysql),
# BENCH_MYSQL (server part of the connection string), BENCH_MYSQLD (1: each variant on a private MariaDB server, as
# BENCH_COMPARE=mysqld does; with build, env or keyed: MariaDB's CPU per write of each variant apart), BENCH_MYSQLD_ARGS_A / _B, BENCH_MYSQLD_PORT (3317), BENCH_MYSQL_DB (taskhub_bench_writes), BENCH_BOARDS_LIST ("1 100"), BENCH_REPS (3), BENCH_SECONDS (15),
# BENCH_KEYED_BOTH (1: both variants' writers send keys), BENCH_USERS (1: creations by this many people, each on its own boards), BENCH_KEYS (sequential|random keys), BENCH_WRITERS (16), BENCH_RATE (requests/s of the measured run; flat out when unset), BENCH_PAIRED, BENCH_REQUEST (me: GET /api/me instead of creations; edit: PATCH a task's title, one task per board), BENCH_WRITES_PORT (5511), BENCH_TRACE (a directory: a CPU profile of the first measured run per
# board count and variant, dotnet-trace collect-linux; BENCH_DOTNET_TRACE names the tool; BENCH_TRACE_ALLOC=1: the runtime's
# allocation ticks instead, the bytes allocated by type and site).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.run/bench"
APP="${BENCH_APP:-$ROOT/.run/cluster/app}"   # the same published app scripts/cluster.sh uses (BENCH_APP: another, used as it is)
PORT=${BENCH_WRITES_PORT:-5511}
REPS=${BENCH_REPS:-3}
COMPARE=${BENCH_COMPARE:-queue}
DB=${BENCH_DB:-sqlite}
MYSQL=${BENCH_MYSQL:-Server=127.0.0.1;Port=3306;User ID=taskhub;Password=taskhub}
BOARDS_LIST=${BENCH_BOARDS_LIST:-1 100}
mkdir -p "$OUT" bench/results
# shellcheck source=scripts/lib/common.sh
. scripts/lib/common.sh

case "$COMPARE" in
  queue) LABEL_A="queue on"; LABEL_B="queue off" ;;
  build) LABEL_A="base"; LABEL_B="this"
         [ -f "${BENCH_BASE_APP:-}/TaskHub.Server.dll" ] || { echo "[writes] BENCH_BASE_APP must name a published TaskHub.Server"; exit 1; } ;;
  env)   LABEL_A="A"; LABEL_B="B" ;;
  keyed) LABEL_A="no key"; LABEL_B="Idempotency-Key" ;;
  mysqld) LABEL_A="A"; LABEL_B="B"; export BENCH_MYSQLD=1 ;;
  *) echo "[writes] BENCH_COMPARE is queue, build, env, keyed or mysqld"; exit 1 ;;
esac

# BENCH_MYSQLD=1 (implied by BENCH_COMPARE=mysqld): a private MariaDB server per variant, on its own port and data directory, with the settings the
# compose file gives MariaDB (docker-compose.yml) and the variant's BENCH_MYSQLD_ARGS_A / _B after them.
OWN_MYSQLD=${BENCH_MYSQLD:-}
if [ -n "$OWN_MYSQLD" ]; then DB=mysql; fi
MYSQLD_PORT_BASE=${BENCH_MYSQLD_PORT:-3317}
COMPOSE_MYSQLD_ARGS=(--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --transaction-isolation=READ-COMMITTED
  --max-connections=1000 --innodb-flush-log-at-trx-commit=1 --skip-log-bin --innodb-buffer-pool-size=256M)
mysqld_port() { [ "$1" = A ] && echo "$MYSQLD_PORT_BASE" || echo "$((MYSQLD_PORT_BASE + 1))"; }
mysqld_dir() { echo "$OUT/mysqld-$1"; }
start_mysqld() { # start_mysqld <A|B>: a fresh data directory, the server (PID file in it), the bench's user
  local v=$1 dir port extra
  dir=$(mysqld_dir "$v"); port=$(mysqld_port "$v")
  extra=$([ "$v" = A ] && echo "${BENCH_MYSQLD_ARGS_A:-}" || echo "${BENCH_MYSQLD_ARGS_B:-}")
  stop_mysqld "$v"
  rm -rf "$dir"; mkdir -p "$dir"
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/data" --auth-root-authentication-method=socket --skip-test-db > "$dir/install.log" 2>&1 \
    || { echo "[writes] mariadb-install-db failed:"; tail -5 "$dir/install.log"; exit 1; }
  # shellcheck disable=SC2086 # $extra is a list of options
  nohup mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/data" --socket="$dir/sock" --pid-file="$dir/mysqld.pid" \
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve "${COMPOSE_MYSQLD_ARGS[@]}" $extra > "$dir/server.log" 2>&1 &
  for _ in $(seq 1 100); do mariadb --protocol=socket -S "$dir/sock" -uroot -e "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
  mariadb --protocol=socket -S "$dir/sock" -uroot -e "CREATE USER 'taskhub'@'127.0.0.1' IDENTIFIED BY 'taskhub'; GRANT ALL ON *.* TO 'taskhub'@'127.0.0.1'" \
    || { echo "[writes] MariaDB $v did not start:"; tail -5 "$dir/server.log"; exit 1; }
  echo "[writes] MariaDB $v on port $port: $(mariadb --protocol=socket -S "$dir/sock" -uroot -N -e "SELECT CONCAT(@@version, ', thread_handling ', @@thread_handling)")${extra:+ ($extra)}"
}
stop_mysqld() { # stop_mysqld <A|B>: by its PID file
  local file; file="$(mysqld_dir "$1")/mysqld.pid"
  if [ -f "$file" ]; then
    local pid; pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done; fi
    rm -f "$file"
  fi
}
mysql_server_of() { # the server part of the connection string of variant <A|B>
  if [ -n "$OWN_MYSQLD" ]; then echo "Server=127.0.0.1;Port=$(mysqld_port "$1");User ID=taskhub;Password=taskhub"; else echo "$MYSQL"; fi
}
mysql_port_of() { if [ -n "$OWN_MYSQLD" ]; then mysqld_port "$1"; else echo 3306; fi; }
db_pids_of() { # the MariaDB PIDs of the variants named (BENCH_MYSQLD=1), comma-separated, for writes.mjs
  [ -n "$OWN_MYSQLD" ] || return 0
  local out="" v; for v in "$@"; do out="$out${out:+,}$(cat "$(mysqld_dir "$v")/mysqld.pid")"; done; echo "$out"
}

PIDFILE="$OUT/writes-replica.pid" # one per replica: writes-replica.pid, writes-replica-B.pid when paired
stop_replica() { # stop_replica [pid file]
  local file=${1:-$PIDFILE}
  if [ -f "$file" ]; then
    local pid; pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; fi
    rm -f "$file"
  fi
}
stop_all() { stop_replica "$PIDFILE"; stop_replica "$OUT/writes-replica-B.pid"; }
stop_everything() { stop_all; if [ -n "$OWN_MYSQLD" ]; then stop_mysqld A; stop_mysqld B; fi; }
trap stop_everything EXIT
trap 'exit 130' INT TERM # (exit runs the EXIT trap: the replicas stop)

npm_ci tools/bench node_modules/autocannon/package.json
if [ -z "${BENCH_APP:-}" ] && { [ ! -f "$APP/TaskHub.Server.dll" ] || [ -n "$(find src/TaskHub.Server -newer "$APP/TaskHub.Server.dll" -name '*.cs' -print -quit)" ]; }; then
  echo "[writes] publishing the server"
  dotnet publish src/TaskHub.Server -c Release -o "$APP" --nologo -v q >/dev/null
fi

STAMP=$(date -u +%Y%m%dT%H%MZ)
RESULTS="bench/results/$STAMP-writes.txt"
PROFILES="bench/results/$STAMP-writes-profile.txt"
if [ -n "${BENCH_TRACE:-}" ]; then
  dotnet build bench/TaskHub.CpuProfile -c Release --nologo -v q >/dev/null
  : > "$PROFILES"
fi
: > "$OUT/writes.jsonl"

# variant <A|B>: prints "app-dir<TAB>extra env" for the variant
variant() {
  local v=$1 extra
  extra=$([ "$v" = A ] && echo "${BENCH_ENV_A:-}" || echo "${BENCH_ENV_B:-}") # (BENCH_ENV_A / _B: with build and env)
  case "$COMPARE" in
    queue) printf '%s\t%s\n' "$APP" "Database__SqliteWriteQueue=$([ "$v" = A ] && echo true || echo false)" ;;
    build) printf '%s\t%s\n' "$([ "$v" = A ] && echo "$BENCH_BASE_APP" || echo "$APP")" "$extra" ;;
    env)   printf '%s\t%s\n' "$APP" "$extra" ;;
    keyed|mysqld) printf '%s\t%s\n' "$APP" "" ;;
  esac
}
# the writers of B send an Idempotency-Key (COMPARE=keyed), or those of both (BENCH_KEYED_BOTH=1, to compare builds or settings on keyed writes)
keyed_of() { { [ "$COMPARE" = keyed ] && [ "$1" = B ]; } || [ "${BENCH_KEYED_BOTH:-}" = 1 ] && echo 1 || echo 0; }

start_replica() { # start_replica <A|B> <port> <pid file> <rep>: a fresh database, then the replica, ready
  local v=$1 port=$2 pidfile=$3 rep=$4 app extra db conn="" name
  IFS=$'\t' read -r app extra < <(variant "$v")
  db="$OUT/writes-$v-$rep.db"
  rm -f "$db" "$db-wal" "$db-shm"
  if [ "$DB" = mysql ]; then
    name="${BENCH_MYSQL_DB:-taskhub_bench_writes}"
    if [ -n "${BENCH_PAIRED:-}" ]; then name="${name}_$v"; fi
    mysql -h127.0.0.1 -P"$(mysql_port_of "$v")" -utaskhub -ptaskhub -e "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name" 2>/dev/null
    conn="$(mysql_server_of "$v");Database=$name"
    # scaled out, the schema is applied once by `migrate` before replicas start: the same here
    (cd "$app" && ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__MySql="$conn" ConnectionStrings__Redis='' \
      Jwt__SigningKey="bench-signing-key-0123456789-abcdefghijklmnop" dotnet TaskHub.Server.dll migrate > "$OUT/writes-migrate.log" 2>&1) \
      || { echo "[writes] migrate failed:"; tail -5 "$OUT/writes-migrate.log"; exit 1; }
  fi
  (
    cd "$app"
    # shellcheck disable=SC2086 # $extra is a list of NAME=value words
    env ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=1 \
    ConnectionStrings__Sqlite="Data Source=$db" ConnectionStrings__MySql="$conn" ConnectionStrings__Redis='' \
    Database__MigrateOnStart="$([ "$DB" = mysql ] && echo false || echo true)" \
    Jwt__SigningKey="bench-signing-key-0123456789-abcdefghijklmnop" Jwt__AccessTokenMinutes=1440 \
    Auth__Limits__PerAddressPerMinute=100000 Auth__Limits__PerAccountPerMinute=100000 \
    Logging__LogLevel__Default=Warning Realtime__HeadIntervalSeconds=3600 $extra \
    nohup dotnet TaskHub.Server.dll --urls "http://127.0.0.1:$port" > "$OUT/writes-replica-$v-$rep.log" 2>&1 &
    echo $! > "$pidfile" # the PID of dotnet itself (nohup execs it), so stop_replica stops the server
  )
  if ss -ltnH "sport = :$port" 2>/dev/null | grep -q LISTEN && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "[writes] port $port is taken by another process"; exit 1
  fi
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.2; done
  kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "[writes] the replica did not start:"; tail -5 "$OUT/writes-replica-$v-$rep.log"; exit 1; }
}

label_of() { [ "$1" = A ] && echo "$LABEL_A" || echo "$LABEL_B"; }

run_point() { # run_point <A|B> <boards> <rep>
  local v=$1 boards=$2 rep=$3 trace=""
  start_replica "$v" "$PORT" "$PIDFILE" "$rep"
  if [ -n "${BENCH_TRACE:-}" ] && [ "$rep" = 1 ]; then mkdir -p "$BENCH_TRACE"; trace="$BENCH_TRACE/writes-$DB-$boards-$v.nettrace"; fi
  BENCH_URL="http://127.0.0.1:$PORT" BENCH_PID=$(cat "$PIDFILE") BENCH_BOARDS=$boards BENCH_LABEL="$(label_of "$v")" BENCH_DB="$DB" BENCH_KEYED="$(keyed_of "$v")" \
    BENCH_DB_PIDS="$(db_pids_of "$v")" BENCH_TRACE_FILE="$trace" node bench/writes.mjs | tee -a "$OUT/writes.jsonl"
  stop_replica
  if [ -n "$trace" ] && [ -f "$trace" ]; then
    { echo "## profile: $DB, $boards board(s), $(label_of "$v"), rep $rep ($trace)"
      if [ "${BENCH_TRACE_ALLOC:-}" = 1 ]; then dotnet bench/TaskHub.CpuProfile/bin/Release/net10.0/TaskHub.CpuProfile.dll "$trace" alloc 60
      else dotnet bench/TaskHub.CpuProfile/bin/Release/net10.0/TaskHub.CpuProfile.dll "$trace" -1 "" 60; fi; echo; } >> "$PROFILES"
  fi
}

run_pair() { # run_pair <boards> <rep>: A and B at the same time (BENCH_PAIRED), swapping places every other rep
  local boards=$1 rep=$2 first=A second=B
  # The replica started first, whose writers are set up first, came out 1.25-1.5x ahead of an identical second one
  # (bench/README.md, ninth and tenth rounds): even reps start B first, and the summary takes the geometric mean of the ratios of the reps, which cancels it.
  if [ $((rep % 2)) = 0 ]; then first=B; second=A; fi
  start_replica "$first" "$PORT" "$(pidfile_of "$first")" "$rep"
  start_replica "$second" "$((PORT + 1))" "$(pidfile_of "$second")" "$rep"
  BENCH_URL="http://127.0.0.1:$PORT,http://127.0.0.1:$((PORT + 1))" \
    BENCH_PID="$(cat "$(pidfile_of "$first")"),$(cat "$(pidfile_of "$second")")" \
    BENCH_BOARDS=$boards BENCH_LABEL="$(label_of "$first"),$(label_of "$second")" BENCH_DB="$DB" \
    BENCH_KEYED="$(keyed_of "$first"),$(keyed_of "$second")" BENCH_DB_PIDS="$(db_pids_of "$first" "$second")" node bench/writes.mjs | tee -a "$OUT/writes.jsonl"
  stop_all
}
pidfile_of() { [ "$1" = A ] && echo "$PIDFILE" || echo "$OUT/writes-replica-B.pid"; }

if [ -n "$OWN_MYSQLD" ]; then start_mysqld A; start_mysqld B; fi
for rep in $(seq 1 "$REPS"); do
  for boards in $BOARDS_LIST; do
    if [ -n "${BENCH_PAIRED:-}" ]; then run_pair "$boards" "$rep"
    elif [ $((rep % 2)) = 1 ]; then run_point A "$boards" "$rep"; run_point B "$boards" "$rep"
    else run_point B "$boards" "$rep"; run_point A "$boards" "$rep"; fi
  done
done

# shellcheck disable=SC2016 # a node program, not shell
node -e '
const [file, a, b, db, compare] = process.argv.slice(1);
const rows = require("fs").readFileSync(file, "utf8").trim().split("\n").map(JSON.parse);
const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)]; };
const envs = compare === "env" ? ` (A: ${process.env.BENCH_ENV_A || "-"}; B: ${process.env.BENCH_ENV_B || "-"})`
  : compare === "mysqld" ? ` (each on a MariaDB server of its own with the settings of the compose file; A: ${process.env.BENCH_MYSQLD_ARGS_A || "-"}; B: ${process.env.BENCH_MYSQLD_ARGS_B || "-"}; MariaDB ms/write: of its own server)`
  : process.env.BENCH_MYSQLD ? " (each on a MariaDB server of its own; MariaDB ms/write: of its own server)" : "";
console.log(`database: ${db}; compared: ${compare}${envs} (A = ${a}, B = ${b}); medians over ${rows.length / 2 / new Set(rows.map((x) => x.boards)).size} rep(s)`);
console.log("| writers | boards | variant | writes/s | p50 ms | p99 ms | CPU ms/write | MariaDB ms/write | machine ms/write | errors |");
console.log("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
const med = {};
const boardsList = [...new Set(rows.map((x) => x.boards))];
for (const boards of boardsList) for (const label of [a, b]) {
  const r = rows.filter((x) => x.boards === boards && x.label === label);
  if (!r.length) continue;
  const m = { perSecond: median(r.map((x) => x.perSecond)), p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)),
    cpu: median(r.map((x) => x.cpuMsPerWrite)), errors: r.reduce((s, x) => s + x.errors, 0),
    db: r.every((x) => x.dbMsPerWrite != null) ? median(r.map((x) => x.dbMsPerWrite)) : null,
    machine: r.every((x) => x.machineMsPerWrite != null) ? median(r.map((x) => x.machineMsPerWrite)) : null };
  med[boards + label] = m;
  const f = (v) => (v == null ? "–" : v.toFixed(2));
  console.log(`| ${r[0].writers} | ${boards} | ${label} | ${m.perSecond} | ${m.p50} | ${m.p99} | ${f(m.cpu)} | ${f(m.db)} | ${f(m.machine)} | ${m.errors} |`);
}
for (const boards of boardsList) {
  const x = med[boards + a], y = med[boards + b];
  const ownDb = process.env.BENCH_MYSQLD && x?.db != null && y?.db != null ? `, MariaDB/write ${(y.db / x.db).toFixed(2)}×` : "";
  const paired = process.env.BENCH_PAIRED ? ownDb + (ownDb ? " (machine: shared by both, not a ratio)" : " (MariaDB and machine: shared by both, not a ratio)") : x?.db != null && y?.db != null ? `, MariaDB/write ${(y.db / x.db).toFixed(2)}×, machine/write ${(y.machine / x.machine).toFixed(2)}×` : "";
  if (x && y) console.log(`${boards} board(s): ${b} ÷ ${a} — p99 ${(y.p99 / x.p99).toFixed(2)}×, writes/s ${(y.perSecond / x.perSecond).toFixed(2)}×, CPU/write ${(y.cpu / x.cpu).toFixed(2)}×${paired}`);
}
if (process.env.BENCH_PAIRED) {
  // Each rep is a pair measured over the same seconds (consecutive rows); the first-started side is favoured, and
  // places swap every other rep, so the geometric mean of the ratios of the reps is the figure (medians above mix places).
  const ratios = { cpu: [], perSecond: [], p99: [], db: [] };
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const x = [rows[i], rows[i + 1]].find((r) => r.label === a), y = [rows[i], rows[i + 1]].find((r) => r.label === b);
    if (!x || !y) continue;
    ratios.cpu.push(y.cpuMsPerWrite / x.cpuMsPerWrite); ratios.perSecond.push(y.perSecond / x.perSecond); ratios.p99.push(y.p99 / x.p99);
    if (process.env.BENCH_MYSQLD && x.dbMsPerWrite && y.dbMsPerWrite) ratios.db.push(y.dbMsPerWrite / x.dbMsPerWrite);
    console.log(`rep ${i / 2 + 1} (${rows[i].label} started first): ${b} ÷ ${a} — CPU/write ${(y.cpuMsPerWrite / x.cpuMsPerWrite).toFixed(2)}×, writes/s ${(y.perSecond / x.perSecond).toFixed(2)}×, p99 ${(y.p99 / x.p99).toFixed(2)}×` + (process.env.BENCH_MYSQLD && x.dbMsPerWrite && y.dbMsPerWrite ? `, MariaDB/write ${(y.dbMsPerWrite / x.dbMsPerWrite).toFixed(2)}×` : ""));
  }
  const geo = (xs) => Math.exp(xs.reduce((s, v) => s + Math.log(v), 0) / xs.length).toFixed(2);
  if (ratios.cpu.length) console.log(`paired, places cancelled (geometric mean of ${ratios.cpu.length} reps): ${b} ÷ ${a} — CPU/write ${geo(ratios.cpu)}×, writes/s ${geo(ratios.perSecond)}×, p99 ${geo(ratios.p99)}×` + (ratios.db.length ? `, MariaDB/write ${geo(ratios.db)}×` : ""));
}
// Per run: the SQLite writer slot (embedded; its hold mean / p99 / the bucket of the longest hold) and the GC (its pauses
// stop every thread, the holder of the slot too), so a tail can be told apart from a few long holds.
for (const r of rows.filter((x) => x.gcCollections)) console.log(`${r.label}, ${r.boards} board(s): ${r.perSecond} writes/s, p99 ${r.p99} ms, ${r.cpuMsPerWrite.toFixed(2)} ms CPU/write; ` +
  (r.slotHoldMs != null ? `slot hold mean ${r.slotHoldMs} / p99 ${r.slotHoldP99Ms} ms, longest ≤ ${r.slotHoldLongestMs} ms; ` : "") +
  (r.bytesAllocatedPerWrite != null ? `${r.bytesAllocatedPerWrite} bytes allocated per write; ` : "") +
  `GC ${r.gcCollections.join(" / ")} collections (gen0 / gen1 / gen2), paused ${r.gcPauseMs} ms of ${r.seconds} s`);
for (const r of rows.filter((x) => x.errors)) console.log(`errors of ${r.label} (${r.boards} board(s)): ${JSON.stringify(r.errorKinds ?? "not recorded")}`);
console.log("load average after: " + require("fs").readFileSync("/proc/loadavg", "utf8").trim());
' "$OUT/writes.jsonl" "$LABEL_A" "$LABEL_B" "$DB" "$COMPARE" | tee "$RESULTS"
echo "[writes] results: $RESULTS"
if [ -n "${BENCH_TRACE:-}" ]; then echo "[writes] profiles: $PROFILES"; fi
