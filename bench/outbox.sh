#!/usr/bin/env bash
# TaskHub outbox drain benchmark: one published replica on MariaDB (its own database, recreated per
# configuration) with SMTP pointed at a sink inside bench/TaskHub.OutboxBench, which timestamps every
# message it receives. See bench/README.md ("Outbox drain").
#
#   bench/outbox.sh                                   # 10,000 changes; coalescing window 0 s and 2 s, queued
#   BENCH_OUTBOX_CHANGES=1000 bench/outbox.sh         # a quick run
#   BENCH_OUTBOX_CONFIGS=0,2,0:live,0:ddb bench/outbox.sh
#
# Configs: <Email:CoalesceWindowSeconds>[:live][:ddb]. queued (default) = the changes are written while the
# outbox is held, then one fresh replica drains them; live = the dispatcher runs while the changes are written;
# ddb = the change log in dynalite (:4567) as a second outbox target.
# Knobs: BENCH_OUTBOX_CHANGES (10000), BENCH_OUTBOX_BOARDS (10), BENCH_OUTBOX_WRITERS (16),
# BENCH_OUTBOX_PORT (5509), BENCH_OUTBOX_SMTP_PORT (5525), BENCH_OUTBOX_DB (taskhub_outbench),
# BENCH_OUTBOX_TIMEOUT (900 s per configuration), BENCH_VERBOSE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.run/bench"
APP="$ROOT/.run/cluster/app"   # the same published app scripts/cluster.sh uses
mkdir -p "$OUT" bench/results

cleanup() {
  set +e
  local pidfile="$OUT/outbox-replica.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then kill "$(cat "$pidfile")"; echo "[outbox] replica $(cat "$pidfile") stopped"; fi
  rm -f "$pidfile"
}
trap cleanup EXIT INT TERM

scripts/services.sh status >/dev/null || { echo "[outbox] services are not running: scripts/services.sh start"; exit 1; }
if [ ! -f "$APP/TaskHub.Server.dll" ] || [ -n "$(find src/TaskHub.Server -newer "$APP/TaskHub.Server.dll" -name '*.cs' -print -quit)" ]; then
  echo "[outbox] publishing the server"
  dotnet publish src/TaskHub.Server -c Release -o "$APP" --nologo -v q >/dev/null
fi
dotnet build bench/TaskHub.OutboxBench -c Release -v q --nologo -o "$OUT/outbox-bin" >/dev/null
: > "$OUT/outbox-replica.log"

STAMP=$(date -u +%Y%m%dT%H%MZ)
start=$(date +%s)
BENCH_APP="$APP" BENCH_OUT="$OUT" dotnet "$OUT/outbox-bin/TaskHub.OutboxBench.dll" | tee "bench/results/$STAMP-outbox.txt"
echo "[outbox] total $(( $(date +%s) - start )) s; replica log: $OUT/outbox-replica.log" | tee -a "bench/results/$STAMP-outbox.txt"
