#!/usr/bin/env bash
# What the AWS/Kubernetes deployment tests (scripts/tests.d/30-aws.sh) need, idempotently and without
# prompts: the CDK app's npm packages (deploy/aws: aws-cdk-lib, constructs, the cdk CLI, TypeScript; pinned
# by its package-lock.json), the manifest schema checker's (tools/k8s: kubernetes-models, yaml), and
# kubectl for `kubectl kustomize` — Debian's kubernetes-client, unless a kubectl from another package is
# already on PATH (installing over it would clash). TASKHUB_FORCE_INSTALL=1 reinstalls all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib/common.sh
. scripts/lib/common.sh

if dpkg -s kubernetes-client >/dev/null 2>&1 || ! command -v kubectl >/dev/null 2>&1; then
  apt_install kubernetes-client
else
  echo "kubectl from another package is on PATH ($(command -v kubectl)): using it"
fi
# sed reads all of it: `head` would close the pipe early, and under pipefail kubectl's SIGPIPE failed this step.
kubectl version --client 2>/dev/null | sed -n 1p
npm_ci deploy/aws node_modules/.bin/cdk node_modules/.bin/tsc node_modules/aws-cdk-lib/package.json
npm_ci tools/k8s node_modules/kubernetes-models/package.json node_modules/yaml/package.json
echo "AWS CDK and Kubernetes check tools ready"
