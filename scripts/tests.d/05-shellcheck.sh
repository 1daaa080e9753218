#!/usr/bin/env bash
# Lints every shell script with shellcheck (Debian package, installed by scripts/setup/10-deploy-tools.sh) over every shell script of
# the project, one check per script; zero findings is a pass. Ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
command -v shellcheck >/dev/null || { echo "shellcheck is not installed (scripts/setup/10-deploy-tools.sh)"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

passed=0 failed=0
mapfile -t scripts < <(git ls-files -co --exclude-standard -- '*.sh' .ci/run | sort -u)
for f in "${scripts[@]}"; do
  [ -f "$f" ] || continue
  if out=$(shellcheck -x -P SCRIPTDIR -P . "$f" 2>&1); then
    echo "PASS $f"; passed=$((passed + 1))
  else
    echo "FAIL $f"; printf '%s\n' "$out" | sed 's/^/    /'; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
