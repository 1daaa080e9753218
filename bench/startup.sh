#!/usr/bin/env bash
# Start-up benchmark: the server published as usual (JIT) vs compiled ahead of time (ReadyToRun, as the container
# image is), alternating, each start on the same migrated SQLite database. Prints per start the wall time and the
# process's CPU until /readyz answers 200, then the time and CPU of its first requests (sign-up, sign-in, a board, a
# task), then the CPU it spends over the next BENCH_SETTLE_S seconds with nothing to do (the runtime compiling again,
# optimised, the start-up code that ran often), and the medians with the ReadyToRun ÷ JIT ratios. BENCH_STARTUP_ENV
# ("K=V K2=V2", e.g. DOTNET_TC_CallCountingDelayMs=1000) adds a third variant: the ReadyToRun build with those
# settings. A replica that restarts during a reconnect storm spends this CPU on the same cores as the replica taking
# the storm.
#
#   bench/startup.sh                      # 5 starts each
#   BENCH_STARTS=3 bench/startup.sh
#
# Knobs: BENCH_STARTS (5), BENCH_STARTUP_PORT (5591), BENCH_SETTLE_S (5: the idle seconds measured after the first
# requests), BENCH_STARTUP_ENV.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/.run/bench/startup"
PORT=${BENCH_STARTUP_PORT:-5591}
STARTS=${BENCH_STARTS:-5}
SETTLE=${BENCH_SETTLE_S:-5}
read -r -a VARIANT <<<"${BENCH_STARTUP_ENV:-}"
mkdir -p "$OUT" bench/results
PIDFILE="$OUT/server.pid"
stop_server() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"; for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$PIDFILE"
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

RID="linux-$([ "$(uname -m)" = aarch64 ] && echo arm64 || echo x64)"
echo "[startup] publishing the server twice (JIT, ReadyToRun for $RID)"
dotnet publish src/TaskHub.Server -c Release -o "$OUT/jit" --nologo -v q >/dev/null
dotnet publish src/TaskHub.Server -c Release -r "$RID" --self-contained false -p:PublishReadyToRun=true -o "$OUT/r2r" --nologo -v q >/dev/null

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, 1/100 s
now() { date +%s.%N; }
post() { curl -fsS -H 'content-type: application/json' "$@"; }

start() { # start <label> <app-dir> [K=V …]: one start, one JSON line
  local label=$1 app=$2 t0 t1 t2 t3 c1 c2 c3 pid email token board
  shift 2
  if ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q LISTEN; then echo "[startup] port $PORT is taken" >&2; exit 1; fi
  t0=$(now)
  (cd "$app"
    env ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=1 ConnectionStrings__Sqlite="Data Source=$OUT/startup.db" \
    ConnectionStrings__Redis='' Jwt__SigningKey="bench-signing-key-0123456789-abcdefghijklmnop" Logging__LogLevel__Default=Warning \
    Auth__Limits__PerAddressPerMinute=100000 "$@" nohup dotnet TaskHub.Server.dll --urls "http://127.0.0.1:$PORT" > "$OUT/server.log" 2>&1 &
    echo $! > "$PIDFILE")
  pid=$(cat "$PIDFILE")
  for _ in $(seq 1 1200); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; kill -0 "$pid" || break; sleep 0.05; done
  t1=$(now); c1=$(ticks "$pid")
  email="s$(date +%s%N)@bench.example"
  t2=$(now)
  post -o /dev/null -d "{\"email\":\"$email\",\"password\":\"Bench-Passw0rd!\",\"displayName\":\"S\"}" "http://127.0.0.1:$PORT/api/auth/register"
  token=$(post -d "{\"email\":\"$email\",\"password\":\"Bench-Passw0rd!\"}" "http://127.0.0.1:$PORT/api/auth/login" | sed 's/.*"accessToken":"\([^"]*\)".*/\1/')
  board=$(post -H "authorization: Bearer $token" -d '{"name":"b"}' "http://127.0.0.1:$PORT/api/boards" | sed 's/.*"id":"\([^"]*\)".*/\1/')
  post -o /dev/null -H "authorization: Bearer $token" -d '{"title":"t"}' "http://127.0.0.1:$PORT/api/boards/$board/tasks"
  t3=$(now); c2=$(ticks "$pid")
  sleep "$SETTLE" # idle: what the process still spends after its first requests (the runtime's background tier-up)
  c3=$(ticks "$pid")
  stop_server
  printf '{"label":"%s","readyS":%.3f,"readyCpuS":%.2f,"firstRequestsS":%.3f,"firstRequestsCpuS":%.2f,"settleCpuS":%.2f}\n' \
    "$label" "$(echo "$t1 - $t0" | bc)" "$(echo "$c1 / 100" | bc -l)" "$(echo "$t3 - $t2" | bc)" "$(echo "($c2 - $c1) / 100" | bc -l)" "$(echo "($c3 - $c2) / 100" | bc -l)"
}

RESULTS="bench/results/$(date -u +%Y%m%dT%H%MZ)-startup.txt"
rm -f "$OUT"/startup.db*
start prime "$OUT/jit" > /dev/null # creates and migrates the database
: > "$OUT/startup.jsonl"
echo "load average before: $(cat /proc/loadavg)" | tee "$RESULTS"
for i in $(seq 1 "$STARTS"); do
  if [ $((i % 2)) = 1 ]; then order="jit r2r ${VARIANT[*]:+r2r-env}"; else order="${VARIANT[*]:+r2r-env} r2r jit"; fi
  for v in $order; do
    case $v in
      r2r-env) start "$v" "$OUT/r2r" "${VARIANT[@]}" ;;
      *) start "$v" "$OUT/$v" ;;
    esac | tee -a "$OUT/startup.jsonl" "$RESULTS"
  done
done
# shellcheck disable=SC2016 # a node program, not shell
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const keys = ["readyS", "readyCpuS", "firstRequestsS", "firstRequestsCpuS", "settleCpuS"];
const names = { jit: "JIT (dotnet publish)", r2r: "ReadyToRun (as shipped)" };
if (process.argv[3]) names["r2r-env"] = `ReadyToRun with ${process.argv[3]}`;
const m = {};
for (const v of Object.keys(names)) m[v] = Object.fromEntries(keys.map((k) => [k, med(rows.filter((r) => r.label === v).map((r) => r[k]))]));
console.log(`medians over ${rows.length / Object.keys(names).length} starts each`);
console.log(`| build | ready s | CPU to ready s | first requests s | their CPU s | CPU over the next ${process.argv[2]} s, idle |`);
console.log("|---|---:|---:|---:|---:|---:|");
for (const v of Object.keys(names)) console.log(`| ${names[v]} | ${keys.map((k) => m[v][k].toFixed(2)).join(" | ")} |`);
const ratio = (a, b) => keys.map((k) => `${k} ${(m[a][k] / m[b][k]).toFixed(2)}×`).join(", ");
console.log(`ReadyToRun ÷ JIT: ${ratio("r2r", "jit")}`);
if (names["r2r-env"]) console.log(`with ${process.argv[3]} ÷ as shipped: ${ratio("r2r-env", "r2r")}`);
' "$OUT/startup.jsonl" "$SETTLE" "${VARIANT[*]}" | tee -a "$RESULTS"
echo "load average after: $(cat /proc/loadavg)" | tee -a "$RESULTS"
echo "[startup] results: $RESULTS"
