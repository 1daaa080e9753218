#!/usr/bin/env bash
# TaskHub feature benchmarks: search latency on 100,000 tasks (SQLite FTS5 and MariaDB FULLTEXT), attachment
# upload/download of a 25 MiB file (disk and S3 via s3rver) with server memory, and webhook delivery to a
# receiver in the bench. One published server at a time, started and stopped (SIGTERM by its PID file) by
# bench/TaskHub.FeatureBench. See bench/README.md ("Search, files, webhooks").
#
#   bench/features.sh                          # all three: search, files, webhooks (~15 min on the shared box)
#   BENCH_MODES=files bench/features.sh        # one of them
#   BENCH_SEARCH_TASKS=10000 BENCH_SEARCH_COMMENTS=3000 BENCH_SEARCH_ROUNDS=50 BENCH_FILES_REPS=2 \
#     BENCH_HOOK_CHANGES=200 bench/features.sh # a quick run
#
# Knobs: BENCH_MODES (search,files,webhooks), BENCH_FEAT_PORT (5609: the server), BENCH_SEARCH_TASKS (100000),
# BENCH_SEARCH_COMMENTS (30000), BENCH_SEARCH_BOARDS (20), BENCH_SEARCH_PROVIDERS (sqlite,mysql),
# BENCH_SEARCH_ROUNDS (300), BENCH_SEARCH_SECONDS (150 per provider), BENCH_SEARCH_DB (taskhub_searchbench),
# BENCH_SEARCH_BASELINE (a git ref, e.g. main: published too and asked in the same rounds, on the next port),
# BENCH_FILES_STORES (disk,s3), BENCH_FILES_MB (25), BENCH_FILES_REPS (5), BENCH_S3_URL (http://127.0.0.1:4569),
# BENCH_S3_BUCKET (taskhub-test), BENCH_HOOK_CHANGES (2000), BENCH_HOOK_CONFIGS (sqlite:burst,sqlite:paced,mysql:burst),
# BENCH_HOOK_WRITERS (8), BENCH_HOOK_RATE (50 changes/s when paced), BENCH_HOOK_RECEIVER_PORT (5671),
# BENCH_HOOK_DB (taskhub_hookbench), BENCH_HOOK_TIMEOUT (600 s per config).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/.run/bench"
APP="$OUT/app"   # published without the web app (TaskHubSkipWebBuild): the API is what is measured
mkdir -p "$OUT" bench/results

cleanup() {
  set +e
  local pidfile
  for pidfile in "$OUT/feature-server.pid" "$OUT/feature-server-baseline.pid"; do
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then kill "$(cat "$pidfile")"; echo "[features] server $(cat "$pidfile") stopped"; fi
    rm -f "$pidfile"
  done
}
trap cleanup EXIT INT TERM

scripts/services.sh status >/dev/null || { echo "[features] services are not running: scripts/services.sh start"; exit 1; }
if [ ! -f "$APP/TaskHub.Server.dll" ] || [ -n "$(find src/TaskHub.Server -newer "$APP/TaskHub.Server.dll" -name '*.cs' -print -quit)" ]; then
  echo "[features] publishing the server"
  dotnet publish src/TaskHub.Server -c Release -o "$APP" -p:TaskHubSkipWebBuild=true --nologo -v q >/dev/null
fi
if [ -n "${BENCH_SEARCH_BASELINE:-}" ]; then
  # The baseline from git (read only: an archive of the ref, not a checkout), published beside the app.
  echo "[features] publishing the baseline $BENCH_SEARCH_BASELINE"
  rm -rf "$OUT/baseline-src" && mkdir -p "$OUT/baseline-src"
  git archive "$BENCH_SEARCH_BASELINE" | tar -x -C "$OUT/baseline-src"
  dotnet publish "$OUT/baseline-src/src/TaskHub.Server" -c Release -o "$OUT/app-baseline" -p:TaskHubSkipWebBuild=true --nologo -v q >/dev/null
  export BENCH_SEARCH_BASELINE_APP="$OUT/app-baseline"
fi
dotnet build bench/TaskHub.FeatureBench -c Release -v q --nologo -o "$OUT/feature-bin" >/dev/null
: > "$OUT/feature-server.log"; : > "$OUT/feature-server-baseline.log"

STAMP=$(date -u +%Y%m%dT%H%MZ)
IFS=',' read -r -a modes <<< "${BENCH_MODES:-search,files,webhooks}"
for mode in "${modes[@]}"; do
  start=$(date +%s)
  BENCH_APP="$APP" BENCH_OUT="$OUT" dotnet "$OUT/feature-bin/TaskHub.FeatureBench.dll" "$mode" | tee "bench/results/$STAMP-$mode.txt"
  echo "[features] $mode: $(( $(date +%s) - start )) s; server log: $OUT/feature-server.log" | tee -a "bench/results/$STAMP-$mode.txt"
done
