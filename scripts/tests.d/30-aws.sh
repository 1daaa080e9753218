#!/usr/bin/env bash
# Offline tests of the AWS and Kubernetes deployment code (no AWS account, no cluster, no network):
#   - deploy/aws compiles (tsc) and its template tests pass (node --test; each test counts), which
#     synthesise the production stack and assert on the template (CDK assertions) and its snapshot;
#   - `cdk synth` itself (the CLI the CD workflow runs) synthesises the staging environment with no
#     credentials and no network (in an empty network namespace when `unshare` can make one), with
#     CloudFormation Validate (bundled with aws-cdk-lib) reporting no error;
#   - deploy/k8s: `kubectl kustomize` renders the base and the production overlay, and every rendered
#     object passes the schema and policy checks of tools/k8s/check.js (each check counts).
# Tools come from scripts/setup/30-aws-cdk.sh. Ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
passed=0 failed=0 skipped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; [ -s "$tmp/out" ] && sed 's/^/    /' "$tmp/out" | tail -n 60; failed=$((failed + 1)); }
check() {
  local name=$1; shift
  if "$@" >"$tmp/out" 2>&1; then pass "$name"; else fail "$name"; fi
}

cdk_bin=deploy/aws/node_modules/.bin
if [ ! -x "$cdk_bin/cdk" ] || [ ! -d tools/k8s/node_modules ] || ! command -v kubectl >/dev/null; then
  echo "tools missing: run scripts/setup/30-aws-cdk.sh"; echo "0 passed, 1 failed, 0 skipped"; exit 1
fi

# ---- AWS CDK ----------------------------------------------------------------------------------------
compile() { (cd deploy/aws && node_modules/.bin/tsc -p .); }
check "tsc deploy/aws" compile

# node's test runner, TAP: one count per test.
if (cd deploy/aws && node --test --test-reporter=tap build/test/) >"$tmp/tap" 2>&1; then rc=0; else rc=$?; fi
grep -E '^(not )?ok [0-9]+ - |^# (tests|pass|fail|skipped)' "$tmp/tap" | grep -v '^ok [0-9]* - /' || true
p=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$tmp/tap" | tail -1)
f=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$tmp/tap" | tail -1)
s=$(sed -nE 's/^# skipped ([0-9]+)$/\1/p' "$tmp/tap" | tail -1)
if [ -z "$p" ]; then
  : >"$tmp/out"; cp "$tmp/tap" "$tmp/out"; fail "deploy/aws template tests (no TAP summary)"
else
  passed=$((passed + p)); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then cp "$tmp/tap" "$tmp/out"; fail "deploy/aws template tests (runner exit $rc)"; fi
  if [ "${f:-0}" -gt 0 ]; then grep -A30 '^not ok' "$tmp/tap" | head -n 80 | sed 's/^/    /'; fi
fi

cli_synth() {
  # The AWS SDK inside the CLI must not go looking for credentials (no instance metadata calls), and the
  # CLI must not phone home (notices, telemetry). With an empty network namespace nothing can leave at all.
  local isolate=()
  if command -v unshare >/dev/null && unshare --net true 2>/dev/null; then isolate=(unshare --net); fi
  (cd deploy/aws && env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
    AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_CLI_TELEMETRY=true \
    "${isolate[@]}" node_modules/.bin/cdk synth --no-notices --no-version-reporting -c env=staging -o "$tmp/cdk.out" --quiet) || return 1
  local f
  for f in TaskHub-staging TaskHub-staging-Registry; do
    [ -s "$tmp/cdk.out/$f.template.json" ] || { echo "$f.template.json missing"; return 1; }
  done
  # shellcheck disable=SC2016 # JavaScript source: the template literal is for node, not the shell
  node -e '
    const fs = require("fs"), dir = process.argv[1];
    const m = JSON.parse(fs.readFileSync(dir + "/manifest.json", "utf8"));
    if ((m.missing || []).length) { console.log("lookups needing an account:", JSON.stringify(m.missing)); process.exit(1); }
    const f = dir + "/validation-report.json";
    const v = fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")).pluginReports.flatMap((r) => r.violations || []) : [];
    const errors = v.filter((x) => x.severity === "error" || x.severity === "fatal");
    for (const x of v) console.log(`${x.severity} ${x.ruleName}: ${x.description}`);
    process.exit(errors.length ? 1 : 0);' "$tmp/cdk.out"
}
check "cdk synth -c env=staging (no account, no network; CloudFormation Validate: no error)" cli_synth

# ---- Kubernetes ---------------------------------------------------------------------------------------
render() { kubectl kustomize "deploy/k8s/$1" >"$tmp/$2.yaml" 2>"$tmp/$2.err" || { cat "$tmp/$2.err"; return 1; }; [ -s "$tmp/$2.yaml" ]; }
check "kubectl kustomize deploy/k8s/base" render base base
check "kubectl kustomize deploy/k8s/overlays/production" render overlays/production production
for variant in base production; do
  [ -s "$tmp/$variant.yaml" ] || { : >"$tmp/out"; fail "schema and policy checks ($variant): nothing rendered"; continue; }
  (cd tools/k8s && node check.js <"$tmp/$variant.yaml") >"$tmp/k8s" 2>&1
  while IFS= read -r line; do
    case $line in
      PASS*) echo "PASS [$variant] ${line#PASS }"; passed=$((passed + 1)) ;;
      FAIL*) echo "FAIL [$variant] ${line#FAIL }"; failed=$((failed + 1)) ;;
    esac
  done <"$tmp/k8s"
  grep -qE '^[0-9]+ objects checked' "$tmp/k8s" || { cp "$tmp/k8s" "$tmp/out"; fail "schema and policy checks ($variant) did not finish"; }
done
cd "$root" || exit 1

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
