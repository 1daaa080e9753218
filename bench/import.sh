#!/usr/bin/env bash
# Trello import benchmark: a generated Trello board export (BENCH_IMPORT_CARDS cards, default 1,000, each with a
# label, a 3-item checklist and 2 comments) imported through POST /api/imports/trello into one published replica,
# embedded (SQLite) and on MariaDB, BENCH_IMPORT_REPS times each (default 3). Prints each time and the median;
# the issue's target is < 10 s for 1,000 cards. Embedded also with the SQLite write queue off (BENCH_IMPORT_QUEUE_OFF=0 skips it). Loopback only; stops the replicas it started (by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.run/bench-import"
APP="$ROOT/.run/cluster/app"
PORT=${BENCH_IMPORT_PORT:-5519}
CARDS=${BENCH_IMPORT_CARDS:-1000}
REPS=${BENCH_IMPORT_REPS:-3}
DB=${BENCH_IMPORT_DB:-taskhub_importbench}
mkdir -p "$OUT" bench/results
PID=""

stop() { if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill "$PID"; wait "$PID" 2>/dev/null || true; fi; PID=""; rm -f "$OUT/replica.pid"; }
trap stop EXIT INT TERM

if [ ! -f "$APP/TaskHub.Server.dll" ] || [ -n "$(find src/TaskHub.Server -newer "$APP/TaskHub.Server.dll" -name '*.cs' -print -quit)" ]; then
  echo "[import] publishing the server"
  dotnet publish src/TaskHub.Server -c Release -o "$APP" --nologo -v q >/dev/null
fi

python3 - "$CARDS" > "$OUT/trello.json" <<'PY'
import json, sys
n = int(sys.argv[1])
lists = [{"id": f"L{i}", "name": name, "closed": False, "pos": i} for i, name in enumerate(["To do", "Doing", "Done"])]
labels = [{"id": f"G{i}", "name": f"label {i}", "color": c} for i, c in enumerate(["red", "green", "blue", "sky"])]
cards, checklists, actions = [], [], []
for i in range(n):
    cards.append({"id": f"C{i}", "name": f"Card {i}", "desc": f"Description of card {i} " * 5, "idList": f"L{i % 3}",
                  "closed": False, "pos": i * 16384.0, "idLabels": [f"G{i % 4}"], "due": None})
    checklists.append({"id": f"K{i}", "idCard": f"C{i}", "pos": 1,
                       "checkItems": [{"name": f"step {j}", "state": "complete" if j == 0 else "incomplete", "pos": j} for j in range(3)]})
    for j in range(2):
        actions.append({"type": "commentCard", "date": "2026-11-01T10:00:00.000Z", "data": {"text": f"comment {j} on {i}", "card": {"id": f"C{i}"}},
                        "memberCreator": {"fullName": "Someone", "username": "someone"}})
json.dump({"name": "Imported", "lists": lists, "labels": labels, "cards": cards, "checklists": checklists, "actions": actions}, sys.stdout)
PY
echo "[import] export: $CARDS cards, $(du -k "$OUT/trello.json" | cut -f1) KB"

run_mode() { # run_mode <name> <env assignments...>
  local name=$1; shift
  stop
  (cd "$APP" && exec env ASPNETCORE_ENVIRONMENT=Production Jwt__SigningKey=import-bench-signing-key-0123456789abcdef \
     Logging__LogLevel__Default=Warning Jobs__ServerEnabled=false Auth__Limits__PerAddressPerMinute=100000 "$@" \
     dotnet TaskHub.Server.dll --urls "http://127.0.0.1:$PORT" >"$OUT/$name.log" 2>&1) &
  PID=$!
  echo "$PID" > "$OUT/replica.pid"
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.2; done
  local email
  email="bench-$(date +%s%N)@example.com"
  curl -fs -o /dev/null -X POST "http://127.0.0.1:$PORT/api/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"correct-horse-9\",\"displayName\":\"Bench\"}"
  local token
  token=$(curl -fs -X POST "http://127.0.0.1:$PORT/api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"correct-horse-9\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')
  local times=()
  for rep in $(seq 1 "$REPS"); do
    local t
    t=$(curl -fs -o "$OUT/result.json" -w '%{time_total}' -X POST "http://127.0.0.1:$PORT/api/imports/trello" \
      -H "authorization: Bearer $token" -F "file=@$OUT/trello.json;type=application/json")
    times+=("$t")
    echo "[import] $name rep $rep: ${t} s ($(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["tasks"], "tasks,", d["comments"], "comments,", d["checklistItems"], "items")' "$OUT/result.json"))"
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "| $name | $CARDS | $REPS | ${times[*]} | $median |" >> "$OUT/table.md"
}

: > "$OUT/table.md"
rm -f "$OUT/import.db"*
run_mode sqlite ConnectionStrings__Sqlite="Data Source=$OUT/import.db"
# The same embedded import without the SQLite write queue (Database:SqliteWriteQueue), for the same-run comparison.
if [ "${BENCH_IMPORT_QUEUE_OFF:-1}" = 1 ]; then
  rm -f "$OUT/import.db"*
  run_mode "sqlite, write queue off" ConnectionStrings__Sqlite="Data Source=$OUT/import.db" Database__SqliteWriteQueue=false
  rm -f "$OUT/import.db"*
fi
mysql -h127.0.0.1 -utaskhub -ptaskhub -e "DROP DATABASE IF EXISTS \`$DB\`; CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
(cd "$APP" && ConnectionStrings__MySql="Server=127.0.0.1;Port=3306;Database=$DB;User ID=taskhub;Password=taskhub" Jwt__SigningKey=import-bench-signing-key-0123456789abcdef \
  ASPNETCORE_ENVIRONMENT=Production dotnet TaskHub.Server.dll migrate >"$OUT/migrate.log" 2>&1)
run_mode mariadb ConnectionStrings__MySql="Server=127.0.0.1;Port=3306;Database=$DB;User ID=taskhub;Password=taskhub"
stop

STAMP=$(date -u +%Y%m%dT%H%MZ)
{
  echo "TaskHub Trello import bench $STAMP, 2 cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "| mode | cards | reps | seconds each | median s |"
  echo "|---|---:|---:|---|---:|"
  cat "$OUT/table.md"
} | tee "bench/results/$STAMP-import.txt"
