#!/usr/bin/env bash
# CPU per request of the HTTP metrics alone (bench/TaskHub.HttpMetricsProbe, in process, one thread of requests):
# each variant in its own process, the variants alternating over BENCH_REPS rounds, medians printed and written to
# bench/results/<stamp>-httpmetrics.txt. Light (one core, ~10 s per variant and round); no lock needed.
#   bench/httpmetrics.sh                     # 3 rounds × 5 variants × 4 s measured
#   BENCH_REPS=5 BENCH_SECONDS=6 bench/httpmetrics.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${BENCH_REPS:-3}
SECONDS_EACH=${BENCH_SECONDS:-4}
mkdir -p bench/results
dotnet build bench/TaskHub.HttpMetricsProbe -c Release --nologo -v q >/dev/null
PROBE=bench/TaskHub.HttpMetricsProbe/bin/Release/net10.0/TaskHub.HttpMetricsProbe.dll
RESULTS="bench/results/$(date -u +%Y%m%dT%H%MZ)-httpmetrics.txt"
VARIANTS=("prometheus all" "own all" "prometheus observable" "own observable" "none observable")
LINES=$(mktemp)
for rep in $(seq 1 "$REPS"); do
  order=("${VARIANTS[@]}")
  [ $((rep % 2)) = 0 ] && order=("none observable" "own observable" "prometheus observable" "own all" "prometheus all")
  for v in "${order[@]}"; do
    # shellcheck disable=SC2086 # two words: metrics and meters
    # fully optimised from the first call: on a loaded machine tiering would still be compiling after any fixed warm-up
    DOTNET_TieredCompilation=0 dotnet "$PROBE" $v "$SECONDS_EACH" | tee -a "$LINES"
  done
done
# shellcheck disable=SC2016 # a node program, not shell
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)]; };
const key = (r) => `${r.metrics} ${r.meters}`;
const med = {};
for (const r of rows) (med[key(r)] ??= []).push(r.cpuUsPerRequest);
console.log(`HTTP metrics probe: CPU µs per request, medians of ${rows.length / Object.keys(med).length} (each value: ${Object.entries(med).map(([k, v]) => k + " " + v.join("/")).join("; ")})`);
console.log("| HTTP metrics | .NET meters exported | CPU µs/request | − no metrics (µs) |");
console.log("|---|---|---:|---:|");
const floor = median(med["none observable"]);
for (const [k, v] of Object.entries(med)) { const [m, meters] = k.split(" "); const x = median(v);
  console.log(`| ${m} | ${meters} | ${x.toFixed(2)} | ${(x - floor).toFixed(2)} |`); }
console.log("load average after: " + require("fs").readFileSync("/proc/loadavg", "utf8").trim());
' "$LINES" | tee "$RESULTS"
rm -f "$LINES"
echo "[httpmetrics] results: $RESULTS"
