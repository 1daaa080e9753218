#!/usr/bin/env node
// Offline check of rendered Kubernetes manifests (`kubectl kustomize … | node check.js`):
//   1. schema: every object validates against the Kubernetes OpenAPI schema of its apiVersion/kind
//      (kubernetes-models, no cluster needed); an unknown kind fails;
//   2. policy: no Secret is inlined and every secret is referenced by name; every container runs as
//      non-root with a read-only root filesystem, drops all capabilities and has resources; the web
//      Deployment has readiness /readyz and liveness /healthz; a PodDisruptionBudget and an HPA target it;
//      a migrate Job runs `migrate`; the Ingress keeps WebSockets open (proxy timeouts ≥ 300 s).
// Prints PASS/FAIL lines and exits non-zero on any failure.
'use strict';
const fs = require('fs');
const YAML = require('yaml');

const docs = YAML.parseAllDocuments(fs.readFileSync(0, 'utf8')).map((d) => d.toJS()).filter(Boolean);
let failed = 0;
const report = (ok, name, why) => { console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${ok || !why ? '' : `: ${why}`}`); if (!ok) failed++; };

// ---- schema ----------------------------------------------------------------------------------------
for (const obj of docs) {
  const name = `schema ${obj.apiVersion}/${obj.kind} ${obj.metadata && obj.metadata.name}`;
  const group = obj.apiVersion.includes('/') ? obj.apiVersion : `v1`;
  let Model;
  try { Model = require(`kubernetes-models/${group}/${obj.kind}`)[obj.kind]; } catch { Model = undefined; }
  if (!Model) { report(false, name, 'unknown apiVersion/kind'); continue; }
  try { new Model(obj).validate(); report(true, name); } catch (e) { report(false, name, String(e.message || e).slice(0, 600)); }
}

// ---- policy ----------------------------------------------------------------------------------------
const byKind = (kind) => docs.filter((o) => o.kind === kind);
const check = (name, fn) => { try { const why = fn(); report(!why, name, why); } catch (e) { report(false, name, e.message); } };
const podSpecs = [...byKind('Deployment'), ...byKind('Job')].map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec }));

check('policy: no Secret object is inlined; workloads reference taskhub-secrets by name', () => {
  if (byKind('Secret').length) return 'a Secret is part of the manifests';
  for (const { owner, spec } of podSpecs) {
    const refs = spec.containers.flatMap((c) => (c.envFrom || []).filter((e) => e.secretRef).map((e) => e.secretRef.name));
    if (!refs.includes('taskhub-secrets')) return `${owner} does not reference taskhub-secrets`;
    for (const c of spec.containers) for (const e of c.env || []) if (/password|key|secret|connection/i.test(e.name) && e.value !== undefined) return `${owner}: ${e.name} inlined`;
  }
  return '';
});
check('policy: non-root, read-only root filesystem, no capabilities, resources on every container', () => {
  for (const { owner, spec } of podSpecs) {
    if (!(spec.securityContext && spec.securityContext.runAsNonRoot)) return `${owner}: runAsNonRoot`;
    for (const c of spec.containers) {
      const sc = c.securityContext || {};
      if (sc.readOnlyRootFilesystem !== true) return `${owner}/${c.name}: readOnlyRootFilesystem`;
      if (sc.allowPrivilegeEscalation !== false) return `${owner}/${c.name}: allowPrivilegeEscalation`;
      if (!(sc.capabilities && sc.capabilities.drop && sc.capabilities.drop.includes('ALL'))) return `${owner}/${c.name}: capabilities`;
      if (!(c.resources && c.resources.requests && c.resources.limits && c.resources.limits.memory)) return `${owner}/${c.name}: resources`;
    }
  }
  return '';
});
check('policy: the web Deployment has readiness /readyz and liveness /healthz; HPA and PDB target it', () => {
  const [dep] = byKind('Deployment');
  if (!dep) return 'no Deployment';
  const c = dep.spec.template.spec.containers[0];
  if (c.readinessProbe?.httpGet?.path !== '/readyz') return 'readiness probe is not /readyz';
  if (c.livenessProbe?.httpGet?.path !== '/healthz') return 'liveness probe is not /healthz';
  const hpa = byKind('HorizontalPodAutoscaler')[0];
  if (!hpa || hpa.spec.scaleTargetRef.name !== dep.metadata.name || !(hpa.spec.minReplicas >= 2)) return 'HPA missing, not on the Deployment, or below 2 replicas';
  const pdb = byKind('PodDisruptionBudget')[0];
  const sel = pdb && pdb.spec.selector.matchLabels;
  if (!sel || Object.entries(sel).some(([k, v]) => dep.spec.template.metadata.labels[k] !== v)) return 'PDB does not select the web pods';
  const svc = byKind('Service')[0];
  if (!svc || Object.entries(svc.spec.selector).some(([k, v]) => dep.spec.template.metadata.labels[k] !== v)) return 'Service does not select the web pods';
  return '';
});
check('policy: a rolling update waits >= 30 s of a new pod serving before it stops the next old one (minReadySeconds)', () => {
  const [dep] = byKind('Deployment');
  if (!dep) return 'no Deployment';
  return dep.spec.minReadySeconds >= 30 ? '' : `minReadySeconds is ${dep.spec.minReadySeconds}`;
});
check('policy: the migrate Job runs `migrate` once (restartPolicy Never)', () => {
  const job = byKind('Job').find((j) => j.spec.template.spec.containers.some((c) => (c.args || c.command || []).includes('migrate')));
  if (!job) return 'no Job runs migrate';
  return job.spec.template.spec.restartPolicy === 'Never' ? '' : 'restartPolicy is not Never';
});
check('policy: the Ingress keeps WebSockets open (proxy read/send timeouts >= 300 s) and serves TLS', () => {
  const [ing] = byKind('Ingress');
  if (!ing) return 'no Ingress';
  const a = ing.metadata.annotations || {};
  for (const k of ['nginx.ingress.kubernetes.io/proxy-read-timeout', 'nginx.ingress.kubernetes.io/proxy-send-timeout']) if (!(Number(a[k]) >= 300)) return `${k} < 300`;
  return ing.spec.tls && ing.spec.tls.length ? '' : 'no TLS';
});
check('policy: the Ingress passes a hub connect a replica refuses (503: stopping, or rebalancing) on to the next pod', () => {
  const [ing] = byKind('Ingress');
  if (!ing) return 'no Ingress';
  const next = ((ing.metadata.annotations || {})['nginx.ingress.kubernetes.io/proxy-next-upstream'] || '').split(/\s+/);
  return next.includes('http_503') ? '' : 'proxy-next-upstream does not include http_503';
});

console.log(`${docs.length} objects checked, ${failed} failure(s)`);
process.exit(failed ? 1 : 0);
