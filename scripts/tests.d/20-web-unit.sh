#!/usr/bin/env bash
# Vitest unit tests of the web client; last line: "N passed, N failed, N skipped".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT/web" || exit 1
# shellcheck source=scripts/lib/common.sh
. "$ROOT/scripts/lib/common.sh"
npm_ci "$ROOT/web" || { echo "npm ci failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
OUT="$(mktemp -d)/vitest.json"
npx vitest run --reporter=default --reporter=json --outputFile="$OUT"
rc=$?
if [ ! -s "$OUT" ]; then
  echo "vitest produced no report (exit $rc)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
# shellcheck disable=SC2016 # JavaScript source: the template literal is for node, not the shell
line="$(node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
process.exit(r.numFailedTests > 0 || r.success === false ? 1 : 0);
' "$OUT")"
nrc=$?
echo "$line"
if [ $rc -ne 0 ] || [ $nrc -ne 0 ]; then exit 1; fi
