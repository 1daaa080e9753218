#!/usr/bin/env bash
# Runs every TaskHub test on a fresh Debian machine with only the .NET SDK and node installed:
# installs and starts the services the tests need (scripts/services.sh), restores, builds, runs every
# test assembly, and ends with one line "N passed, N failed, N skipped" summed over all of them.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

LOG_DIR="artifacts/test-logs"
mkdir -p "$LOG_DIR"

scripts/services.sh start || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# Each feature that needs more than the services (the web app's build, a browser, linters) adds a
# script to scripts/setup/; they run in name order and must be idempotent.
for setup in scripts/setup/*.sh; do
  [ -e "$setup" ] || continue
  echo "== setup: $setup"
  bash "$setup" || { echo "setup step $setup failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
done

# A forced reinstall (TASKHUB_FORCE_INSTALL=1, as .ci/run sets) is for the install steps above, once. Tests
# that start the local cluster call scripts/services.sh again; forced, that would restart maildev, dynalite and
# s3rver under the running tests (losing maildev's mails mid-suite).
unset TASKHUB_FORCE_INSTALL

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet restore TaskHub.sln --nologo -v q || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
dotnet build TaskHub.sln --no-restore --nologo -v q -c Release || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

passed=0 failed=0 skipped=0 status=0
for project in tests/*/*.csproj; do
  name=$(basename "$project" .csproj)
  log="$LOG_DIR/$name.log"
  echo "== $name"
  rm -f "artifacts/test-results/$name.trx"
  dotnet test "$project" --no-build -c Release --nologo \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=$name.trx" --results-directory artifacts/test-results \
    2>&1 | tee "$log" | grep -E '^\s+(Passed|Failed|Skipped) |^(Passed|Failed)!|error' || true
  result=${PIPESTATUS[0]}
  trx="artifacts/test-results/$name.trx"
  counters=$( [ -f "$trx" ] && grep -o '<Counters [^>]*>' "$trx" | head -1 )
  if [ -z "$counters" ]; then
    echo "$name: no test results (build or test host failure), see $log"
    failed=$((failed + 1)); status=1; continue
  fi
  count() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$counters"; }
  p=$(count passed); f=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) ))
  s=$(( $(count total) - $(count executed) ))
  echo "$name: $p passed, $f failed, $s skipped"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$result" -ne 0 ] && status=1
done

# Test suites that are not .NET assemblies (the web client's unit tests, linters): each script in
# scripts/tests.d/ runs one and ends its output with a line "N passed, N failed, N skipped".
for suite in scripts/tests.d/*.sh; do
  [ -e "$suite" ] || continue
  name=$(basename "$suite" .sh)
  log="$LOG_DIR/$name.log"
  echo "== $name"
  bash "$suite" > "$log" 2>&1
  result=$?
  tail -n 30 "$log"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "$name: no result line, see $log"
    failed=$((failed + 1)); status=1; continue
  fi
  p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$result" -ne 0 ] && status=1
done

# What failed, last before the summary, so the tail of a CI log says what broke and why.
if [ "$failed" -gt 0 ]; then
  echo "== failures"
  for log in "$LOG_DIR"/*.log; do
    grep -hE -A5 '^\s+Failed [A-Za-z]' "$log" | grep -vE '^\s+Stack Trace:|^--$' | cut -c1-300 | head -60
    grep -hE '^\s*(FAIL|✗|×) ' "$log" | head -10
  done
fi

[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
