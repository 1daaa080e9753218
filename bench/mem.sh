#!/usr/bin/env bash
# Memory per idle hub connection, embedded mode (one replica on SQLite, no Redis unless MEM_REDIS is set):
# N light clients handshake (MEM_JOIN=1: and JoinBoard), a dotnet-gcdump snapshot before and after, and the
# per-type difference ÷ N. See bench/README.md ("Memory per connection").
#
#   bench/mem.sh                          # N = 2000, handshake only
#   MEM_N=2000 MEM_JOIN=1 bench/mem.sh    # with JoinBoard
#
# Knobs: MEM_N (2000), MEM_JOIN (0), MEM_PORT (5611), MEM_APP (published server dir; default: publish
# src/TaskHub.Server into .run/bench/mem-app), MEM_REDIS (a Redis connection string: backplane on),
# MEM_TAG (a label for the output files), MEM_DUMP=1 (also heap dumps, walked by type with ClrMD: exact
# sizes; MEM_KEEP_DUMPS=1 keeps them, MEM_ROWS rows), MEM_HUB_TOKEN=0 (the hub URL carries the JWT instead of the
# short hub token), GCDUMP (path of dotnet-gcdump; default: on PATH or /tmp/tools).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.run/bench"
N=${MEM_N:-2000}; JOIN=${MEM_JOIN:-0}; PORT=${MEM_PORT:-5611}; TAG=${MEM_TAG:-mem}
APP=${MEM_APP:-$OUT/mem-app}
GCDUMP=${GCDUMP:-$(command -v dotnet-gcdump || echo /tmp/tools/dotnet-gcdump)}
[ -x "$GCDUMP" ] || { echo "[mem] dotnet-gcdump not found (dotnet tool install --tool-path /tmp/tools dotnet-gcdump)"; exit 1; }
mkdir -p "$OUT" bench/results
ulimit -n 65536 2>/dev/null || true

PIDFILE="$OUT/mem-replica.pid"
stop_replica() {
  if [ -f "$PIDFILE" ]; then
    local pid; pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; fi
    rm -f "$PIDFILE"
  fi
}
trap stop_replica EXIT INT TERM

if [ -z "${MEM_APP:-}" ]; then
  echo "[mem] publishing the server into $APP"
  dotnet publish src/TaskHub.Server -c Release -o "$APP" --nologo -v q -p:TaskHubSkipWebBuild=true >/dev/null
fi
dotnet build bench/TaskHub.MemBench -c Release -v q --nologo -o "$OUT/mem-bin" >/dev/null

DB="$OUT/mem-$TAG.db"; rm -f "$DB" "$DB-wal" "$DB-shm"
(
  cd "$APP"
  ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=1 \
  ConnectionStrings__Sqlite="Data Source=$DB" ConnectionStrings__MySql='' ConnectionStrings__Redis="${MEM_REDIS:-}" \
  Database__MigrateOnStart=true Jwt__SigningKey="bench-signing-key-0123456789-abcdefghijklmnop" Jwt__AccessTokenMinutes=1440 \
  Auth__Limits__PerAddressPerMinute=100000 Auth__Limits__PerAccountPerMinute=100000 \
  Logging__LogLevel__Default=Warning Realtime__HeadIntervalSeconds=3600 Jobs__ServerEnabled=false \
  nohup dotnet TaskHub.Server.dll --urls "http://127.0.0.1:$PORT" > "$OUT/mem-replica.log" 2>&1 &
  echo $! > "$PIDFILE"
)
for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "[mem] the replica did not start:"; tail -5 "$OUT/mem-replica.log"; exit 1; }

STAMP=$(date -u +%Y%m%dT%H%MZ)
PREFIX="$OUT/$STAMP-$TAG"
dotnet "$OUT/mem-bin/TaskHub.MemBench.dll" "http://127.0.0.1:$PORT" "$(cat "$PIDFILE")" "$N" "$JOIN" "$PREFIX" "$GCDUMP" | tee "$PREFIX.txt"
"$GCDUMP" report "$PREFIX-0.gcdump" > "$PREFIX-0.report.txt"
"$GCDUMP" report "$PREFIX-$N.gcdump" > "$PREFIX-$N.report.txt"
# Per-type difference ÷ N (bytes per connection), largest first.
python3 - "$PREFIX-0.report.txt" "$PREFIX-$N.report.txt" "$N" <<'PY' | tee -a "$PREFIX.txt"
import re, sys
def load(p):
    d = {}
    for line in open(p):
        m = re.match(r'\s*([\d,]+)\s+([\d,]+)\s+(.+?)\s*$', line)
        if m:
            size, count = int(m.group(1).replace(',', '')), int(m.group(2).replace(',', ''))
            old = d.get(m.group(3), (0, 0))
            d[m.group(3)] = (old[0] + size * count, old[1] + count)  # the report's first column is bytes per object
    return d
a, b, n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
rows = [(t, (b.get(t, (0, 0))[0] - a.get(t, (0, 0))[0]) / n, (b.get(t, (0, 0))[1] - a.get(t, (0, 0))[1]) / n) for t in set(a) | set(b)]
rows.sort(key=lambda r: -r[1])
tot = sum(r[1] for r in rows)
print(f"total {tot:,.0f} bytes/connection over {len(rows)} types")
print("| type | bytes/conn | objects/conn |")
print("|---|---:|---:|")
for t, by, c in rows[:45]:
    name = re.sub(r'  \[.*$', '', t)  # without the assembly
    print(f"| {name} | {by:,.0f} | {c:.2f} |")
PY
if [ -f "$PREFIX-0.dmp" ] && [ -f "$PREFIX-$N.dmp" ]; then
  # Exact, reachable-only sizes from the two heap dumps (ClrMD); the dumps are large: removed afterwards.
  echo "live heap by type (ClrMD):" | tee -a "$PREFIX.txt"
  dotnet "$OUT/mem-bin/TaskHub.MemBench.dll" diff "$PREFIX-0.dmp" "$PREFIX-$N.dmp" "$N" "${MEM_ROWS:-60}" | tee -a "$PREFIX.txt"
  [ "${MEM_KEEP_DUMPS:-0}" = 1 ] || rm -f "$PREFIX-0.dmp" "$PREFIX-$N.dmp"
fi
echo "[mem] files: $PREFIX*"
