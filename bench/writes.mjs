// REST write benchmark against one running TaskHub replica: signs up, creates the boards, warms up, then
// N concurrent writers POST task creations for D seconds (autocannon) and prints one JSON line with
// requests/s, latency p50/p99 and the replica's CPU per write (from /proc/<pid>/stat around the run).
// Env: BENCH_URL, BENCH_PID, BENCH_BOARDS (1), BENCH_WRITERS (16), BENCH_SECONDS (15), BENCH_LABEL,
// BENCH_WARM (3 s), BENCH_WARM_WRITES (3000): the warm-up runs in BENCH_WARM rounds until that many writes are done
// (at most 60 s), so tiered JIT compilation is over before the measured run on a slow machine too;
// BENCH_TRACE_FILE: a CPU profile of the measured run (dotnet-trace collect-linux, perf sampling; BENCH_DOTNET_TRACE).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';

const require = createRequire(new URL('../tools/bench/package.json', import.meta.url));
const autocannon = require('autocannon');

const url = process.env.BENCH_URL ?? 'http://127.0.0.1:5511';
const pid = process.env.BENCH_PID;
const boards = Number(process.env.BENCH_BOARDS ?? 1);
const writers = Number(process.env.BENCH_WRITERS ?? 16);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const warm = Number(process.env.BENCH_WARM ?? 3);
const warmWrites = Number(process.env.BENCH_WARM_WRITES ?? 3000);
const label = process.env.BENCH_LABEL ?? '';

async function call(path, body, token) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

// utime + stime of the replica, in clock ticks (100 per second on Linux).
const cpuTicks = () => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

const email = `writer-${Date.now()}@bench.example`;
const password = 'Bench-Passw0rd!';
await call('/api/auth/register', { email, password, displayName: 'Writer' });
const { accessToken } = await call('/api/auth/login', { email, password });
const ids = [];
for (let b = 0; b < boards; b++) ids.push((await call('/api/boards', { name: `wb${b}` }, accessToken)).id);

let n = 0;
const run = (duration) => autocannon({
  url,
  connections: writers,
  duration,
  requests: [{
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    setupRequest: (req) => ({ ...req, path: `/api/boards/${ids[n % ids.length]}/tasks`, body: JSON.stringify({ title: `t${n++}` }) }),
  }],
});

const warmStart = Date.now();
let warmed = 0;
do warmed += (await run(warm))['2xx']; while (warmed < warmWrites && Date.now() - warmStart < 60_000);
const traceFile = process.env.BENCH_TRACE_FILE;
const tracer = traceFile ? spawn(process.env.BENCH_DOTNET_TRACE ?? 'dotnet-trace',
  ['collect-linux', '-p', pid, '--profile', 'cpu-sampling', '--duration', `00:00:00:${String(Math.max(1, seconds - 2)).padStart(2, '0')}`, '-o', traceFile],
  { stdio: 'ignore' }) : null;
const traced = tracer ? new Promise((resolve) => tracer.on('exit', resolve)) : null;
const before = cpuTicks();
const result = await run(seconds);
const ticks = cpuTicks() - before;
if (traced) await traced;
const writes = result['2xx'];
const out = {
  label, db: process.env.BENCH_DB ?? 'sqlite', boards, writers, seconds,
  warmWrites: warmed, writes, errors: result.non2xx + result.errors + result.timeouts,
  perSecond: Math.round(writes / seconds),
  p50: result.latency.p50, p99: result.latency.p99,
  cpuMsPerWrite: writes ? (ticks * 10) / writes : null,
};
console.log(JSON.stringify(out));
