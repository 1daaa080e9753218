// REST write benchmark against one running TaskHub replica: signs up, creates the boards, warms up, then
// N concurrent writers POST task creations for D seconds (autocannon) and prints one JSON line with
// requests/s, latency p50/p99 and the replica's CPU per write (from /proc/<pid>/stat around the run).
// Env: BENCH_URL, BENCH_PID, BENCH_BOARDS (1), BENCH_WRITERS (16), BENCH_SECONDS (15), BENCH_LABEL,
// BENCH_WARM (3 s), BENCH_WARM_WRITES (3000), BENCH_WARM_MAX (240 s): the warm-up runs in BENCH_WARM rounds until at
// least that many writes are done, the CPU per write has stopped falling (a round no more than 5 % below the best
// round before it) and the JIT took at most BENCH_WARM_JIT (2) % of the replica's CPU in each of the last two rounds (printed:
// warmJit; jitPercent for the measured run), at least BENCH_WARM_MIN (30) and at most BENCH_WARM_MAX seconds: tiered JIT compilation goes on for tens of seconds on 2 busy cores,
// and a run measured during it counted the JIT's CPU as the writes' (3.2–3.5 ms per write after 3,000 writes of warm-up
// against 1.1 ms after 20,000; bench/README.md, "REST writes"). The rounds' CPU per write is printed (warmCpu);
// BENCH_TRACE_FILE: a CPU profile of the measured run (dotnet-trace collect-linux, perf sampling; BENCH_DOTNET_TRACE).
// BENCH_RATE: the measured run sends this many requests per second per replica (autocannon's overallRate; the warm-up
// still runs flat out): the CPU per write at a load that leaves the machine idle part of the time, which moves far less
// between runs than at saturation, where waiting threads' spinning counts as the writes' CPU.
// Paired: BENCH_URL, BENCH_PID and BENCH_LABEL may each list several replicas (comma-separated; bench/writes.sh
// BENCH_PAIRED=1): every replica gets its own writers, boards and user, all warm up and are measured at the same time,
// and one line is printed per replica, so a variant and its baseline share the machine's noise.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';

const require = createRequire(new URL('../tools/bench/package.json', import.meta.url));
const autocannon = require('autocannon');

const urls = (process.env.BENCH_URL ?? 'http://127.0.0.1:5511').split(',');
const pids = (process.env.BENCH_PID ?? '').split(',');
const labels = (process.env.BENCH_LABEL ?? '').split(',');
const boards = Number(process.env.BENCH_BOARDS ?? 1);
const writers = Number(process.env.BENCH_WRITERS ?? 16);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const warm = Number(process.env.BENCH_WARM ?? 3);
const warmWrites = Number(process.env.BENCH_WARM_WRITES ?? 3000);
const warmMax = Number(process.env.BENCH_WARM_MAX ?? 240);
const warmMin = Number(process.env.BENCH_WARM_MIN ?? 30); // tiering drops the CPU in steps, with plateaus between them
// BENCH_REQUEST=me: GET /api/me instead of creations (an authenticated read: the per-request work — metrics, JWT, the
// session check — and one query, without the write); the figures keep their names (writes = requests answered 2xx).
const reads = process.env.BENCH_REQUEST === 'me';
// BENCH_REQUEST=edit: PATCH the title of a task (one per board, created before the warm-up; no If-Match) instead: the
// commonest write after a creation (the session check in its first read, the task's load, the update).
const edits = process.env.BENCH_REQUEST === 'edit';
const rate = Number(process.env.BENCH_RATE ?? 0);
// BENCH_KEYED: one flag per replica (comma-separated, as BENCH_URL; "1": on): its creations (or edits) carry an
// Idempotency-Key, a new one per request, as the web client sends them (bench/writes.sh BENCH_COMPARE=keyed).
const keyed = (process.env.BENCH_KEYED ?? '').split(',').map(v => v === '1');

async function call(url, path, body, token) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

// utime + stime of a replica, in clock ticks (100 per second on Linux).
const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

// The whole machine's busy time (every process: the replicas, MariaDB, these writers), in clock ticks summed over the
// cores, from /proc/stat; and MariaDB's own CPU (its pid file, when readable): what a write costs beside the replica.
const machineTicks = () => {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return v.slice(0, 8).reduce((a, b) => a + b, 0) - v[3] - v[4]; // all but idle and iowait
};
const dbPid = (() => {
  try { return (process.env.BENCH_DB ?? 'sqlite') === 'mysql' ? readFileSync('/run/mysqld/mysqld.pid', 'utf8').trim() : null; } catch { return null; }
})();
// BENCH_DB_PIDS: one MariaDB server per replica (comma-separated, as BENCH_URL; bench/writes.sh BENCH_COMPARE=mysqld):
// each replica's MariaDB CPU is then its own server's, per write of that replica.
const dbPids = (process.env.BENCH_DB_PIDS ?? '').split(',').filter(Boolean);

// BENCH_USERS (1): creations by this many people, each on the boards they own (board b is person b mod N's; needs
// BENCH_BOARDS ≥ N): a key's row and its foreign key then spread over people as a team's would, not one person's.
// BENCH_KEYS: sequential (the default: "<run>-<n>") or random (a UUID per request, as the web client draws them).
const users = Number(process.env.BENCH_USERS ?? 1);
const randomKeys = process.env.BENCH_KEYS === 'random';
if (users > 1 && (boards < users || reads || edits)) throw new Error('BENCH_USERS > 1 needs creations and BENCH_BOARDS ≥ BENCH_USERS');
const password = 'Bench-Passw0rd!';
const targets = await Promise.all(urls.map(async (url, i) => {
  const tokens = [];
  for (let u = 0; u < users; u++) {
    const email = `writer-${Date.now()}-${i}-${u}@bench.example`;
    await call(url, '/api/auth/register', { email, password, displayName: 'Writer' });
    tokens.push((await call(url, '/api/auth/login', { email, password })).accessToken);
  }
  const accessToken = tokens[0];
  const ids = [];
  for (let b = 0; b < boards; b++) ids.push((await call(url, '/api/boards', { name: `wb${b}` }, tokens[b % users])).id);
  const tasks = [];
  if (edits) for (const id of ids) tasks.push((await call(url, `/api/boards/${id}/tasks`, { title: 'edited' }, accessToken)).id);
  return { url, pid: pids[i], dbPid: dbPids[i] ?? null, label: labels[i] ?? '', keyed: keyed[i] ?? false, run: crypto.randomUUID(), accessToken, tokens, ids, tasks, n: 0, warmed: 0, warmCpu: [], warmJit: [] };
}));
const keyOf = (t) => (randomKeys ? crypto.randomUUID() : `${t.run}-${t.n}`);

const run = (t, duration, measured = false) => autocannon({
  url: t.url,
  connections: writers,
  duration,
  ...(measured && rate > 0 ? { overallRate: rate } : {}),
  requests: [reads
    ? { method: 'GET', path: '/api/me', headers: { authorization: `Bearer ${t.accessToken}` } }
    : edits ? {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.accessToken}` },
      setupRequest: (req) => ({
        ...req, path: `/api/tasks/${t.tasks[t.n % t.tasks.length]}`,
        ...(t.keyed ? { headers: { ...req.headers, 'idempotency-key': keyOf(t) } } : {}),
        body: JSON.stringify({ title: `e${t.n++}` }),
      }),
    } : {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.accessToken}` },
      setupRequest: (req) => ({
        ...req, path: `/api/boards/${t.ids[t.n % t.ids.length]}/tasks`,
        headers: { ...req.headers, authorization: `Bearer ${t.tokens[(t.n % t.ids.length) % users]}`, ...(t.keyed ? { 'idempotency-key': keyOf(t) } : {}) },
        body: JSON.stringify({ title: `t${t.n++}` }),
      }),
    }],
});

// The seconds the server's JIT has spent compiling since it started (the runtime's dotnet.jit.compilation.time, on
// /metrics), or null where it is not published (the bare servers).
const jitSeconds = async (t) => {
  try {
    const m = (await (await fetch(t.url + '/metrics')).text()).match(/^system_runtime_dotnet_jit_compilation_time ([0-9.e+-]+)$/m);
    return m ? Number(m[1]) : null;
  } catch { return null; }
};
const warmStart = Date.now();
// warmCpu: CPU ms per write of each warm-up round; warmJit: the JIT's share of the replica's CPU in each round (%).
// Warm once the CPU per write has stopped falling and the JIT's share is at most BENCH_WARM_JIT (2 %): tier-1
// compilation went on long after the CPU per write first looked flat (after 30 s of warm-up the JIT still took 11-14 %
// of the replica's samples, and a 30 s run measured 1.40 ms per write where its last 3 s round had 2.41).
const warmJitMax = Number(process.env.BENCH_WARM_JIT ?? 2);
// The JIT's share (%) of <ticks> of the replica's CPU, from two readings of jitSeconds (null when either is missing).
const jitPercentOf = (jit0, jit1, ticks) => (jit0 === null || jit1 === null || !ticks ? null : Math.round(((jit1 - jit0) * 100 / (ticks / 100)) * 10) / 10);
const steady = (t) => t.warmCpu.length >= 2 && t.warmCpu[t.warmCpu.length - 1] >= 0.95 * Math.min(...t.warmCpu.slice(0, -1))
  && t.warmJit.slice(-2).every((j) => j === null || j <= warmJitMax); // (two rounds: late tier-1 bursts come after a quiet one)
do {
  await Promise.all(targets.map(async (t) => {
    const t0 = cpuTicks(t.pid);
    const jit0 = await jitSeconds(t);
    const done = (await run(t, warm))['2xx'];
    const ticks = cpuTicks(t.pid) - t0;
    const jit1 = await jitSeconds(t);
    t.warmed += done;
    if (done) t.warmCpu.push(Math.round((ticks * 10 / done) * 100) / 100);
    if (done) t.warmJit.push(jitPercentOf(jit0, jit1, ticks));
  }));
} while ((targets.some((t) => t.warmed < warmWrites || !steady(t)) || Date.now() - warmStart < warmMin * 1000) && Date.now() - warmStart < warmMax * 1000);
const warmSeconds = Math.round((Date.now() - warmStart) / 1000);
const traceFile = process.env.BENCH_TRACE_FILE;
// (BENCH_TRACE_ALLOC=1: the runtime's allocation ticks, one per ~100 KB allocated, with their stacks, instead of CPU samples)
const traceDuration = `00:00:00:${String(Math.max(1, seconds - 2)).padStart(2, '0')}`;
const tracer = traceFile ? spawn(process.env.BENCH_DOTNET_TRACE ?? 'dotnet-trace', process.env.BENCH_TRACE_ALLOC === '1'
  ? ['collect', '-p', targets[0].pid, '--providers', 'Microsoft-Windows-DotNETRuntime:0x1:5', '--duration', traceDuration, '-o', traceFile]
  : ['collect-linux', '-p', targets[0].pid, '--profile', 'cpu-sampling', '--duration', traceDuration, '-o', traceFile],
  { stdio: 'ignore' }) : null;
const traced = tracer ? new Promise((resolve) => tracer.on('exit', resolve)) : null;
// Embedded mode: the SQLite writer slot's wait and hold (taskhub_sqlite_write_{wait,hold}_seconds) over the run, mean ms, and the hold's buckets.
const slot = async (t) => {
  const text = await (await fetch(t.url + '/metrics')).text();
  // (labels: the series' label set as Prometheus prints it, e.g. 'gc_heap_generation="gen0"')
  const read = (name, labels) => Number(text.match(new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} ([0-9.e+-]+)$`, 'm'))?.[1] ?? NaN);
  const buckets = (name) => [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} ([0-9.e+-]+)$`, 'gm'))]
    .map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  return { hold: [read('taskhub_sqlite_write_hold_seconds_sum'), read('taskhub_sqlite_write_hold_seconds_count')],
    wait: [read('taskhub_sqlite_write_wait_seconds_sum'), read('taskhub_sqlite_write_wait_seconds_count')],
    holdBuckets: buckets('taskhub_sqlite_write_hold_seconds'),
    // the GC's pauses (all of the process's threads stop: every queued writer waits them out too) and collections
    gcPause: read('system_runtime_dotnet_gc_pause_time'),
    gcs: ['gen0', 'gen1', 'gen2'].map((g) => read('system_runtime_dotnet_gc_collections', `gc_heap_generation="${g}"`)),
    jit: Number.isNaN(read('system_runtime_dotnet_jit_compilation_time')) ? null : read('system_runtime_dotnet_jit_compilation_time'),
    // the bytes the process has allocated since it started (the runtime's dotnet.gc.heap.total_allocated): what its GC clears
    allocated: read('system_runtime_dotnet_gc_heap_total_allocated') };
};
// The hold's quantile over the run, interpolated within its bucket as Prometheus' histogram_quantile does (ms), and
// the upper bound of the longest hold's bucket: whether a few long holds (a writer every queued one waits behind) make the tail.
const ms = (seconds) => Math.round(seconds * 1e5) / 100;
const bucketsOver = (a, b) => b.map(([le, n], i) => [le, n - (a[i]?.[1] ?? 0)]); // (cumulative counts during the run)
const holdQuantileMs = (a, b, q) => {
  const d = bucketsOver(a, b);
  const total = d.at(-1)?.[1] ?? 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < d.length; i++) {
    if (d[i][1] < rank) continue;
    const [lo, below] = i ? d[i - 1] : [0, 0];
    if (d[i][0] === Infinity) return ms(lo);
    return ms(lo + (d[i][0] - lo) * ((rank - below) / Math.max(1, d[i][1] - below)));
  }
  return null;
};
const longestHoldMs = (a, b) => {
  const d = bucketsOver(a, b);
  const i = d.findIndex(([, n]) => n === (d.at(-1)?.[1] ?? 0));
  return i < 0 || !(d.at(-1)[1] > 0) ? null : d[i][0] === Infinity ? 'over ' + ms(d[i - 1][0]) : ms(d[i][0]);
};
const meanMs = (a, b) => (b[1] - a[1] > 0 ? ms((b[0] - a[0]) / (b[1] - a[1])) : null);
const machine0 = machineTicks();
const db0 = dbPid ? cpuTicks(dbPid) : null;
await Promise.all(targets.map(async (t) => {
  t.slot0 = await slot(t);
  t.before = cpuTicks(t.pid);
  t.dbBefore = t.dbPid ? cpuTicks(t.dbPid) : null;
  t.result = await run(t, seconds, true);
  t.ticks = cpuTicks(t.pid) - t.before;
  t.dbTicks = t.dbPid ? cpuTicks(t.dbPid) - t.dbBefore : null;
  t.slot1 = await slot(t);
}));
const machine = machineTicks() - machine0;
const dbTicks = dbPid ? cpuTicks(dbPid) - db0 : null;
const allWrites = targets.reduce((n, t) => n + t.result['2xx'], 0);
if (traced) await traced;
for (const t of targets) {
  const { result, ticks, slot0, slot1, label, warmed, warmCpu, warmJit } = t;
  const writes = result['2xx'];
  const out = {
    label, db: process.env.BENCH_DB ?? 'sqlite', request: reads ? 'GET /api/me' : edits ? 'PATCH task' : 'POST task', boards, writers, users, keys: randomKeys ? 'random' : 'sequential', seconds, rate: rate || null,
    warmWrites: warmed, warmSeconds, warmCpu, warmJit, writes, errors: result.non2xx + result.errors + result.timeouts,
    // what the errors were: answers other than 2xx by status, connection errors, requests that timed out
    errorKinds: { statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).filter(([c]) => !c.startsWith('2')).map(([c, v]) => [c, v.count])), errors: result.errors, timeouts: result.timeouts },
    perSecond: Math.round(writes / seconds),
    p50: result.latency.p50, p99: result.latency.p99,
    cpuMsPerWrite: writes ? (ticks * 10) / writes : null,
    // the JIT's share of the replica's CPU in the measured run (%): what of the CPU per write was still compilation
    jitPercent: jitPercentOf(slot0.jit, slot1.jit, ticks),
    // (shared by every replica of a paired run: per write of all of them; with BENCH_DB_PIDS, the replica's own server)
    dbMsPerWrite: t.dbTicks !== null ? (writes ? (t.dbTicks * 10) / writes : null)
      : dbTicks !== null && allWrites ? (dbTicks * 10) / allWrites : null,
    machineMsPerWrite: allWrites ? (machine * 10) / allWrites : null,
    slotHoldMs: meanMs(slot0.hold, slot1.hold), slotWaitMs: meanMs(slot0.wait, slot1.wait),
    slotHoldP99Ms: holdQuantileMs(slot0.holdBuckets, slot1.holdBuckets, 0.99), slotHoldLongestMs: longestHoldMs(slot0.holdBuckets, slot1.holdBuckets),
    // (null where /metrics does not publish it: the bare servers)
    bytesAllocatedPerWrite: writes && !Number.isNaN(slot1.allocated - slot0.allocated) ? Math.round((slot1.allocated - slot0.allocated) / writes) : null,
    gcPauseMs: Math.round((slot1.gcPause - slot0.gcPause) * 1e4) / 10, gcCollections: slot1.gcs.map((n, i) => n - slot0.gcs[i]),
  };
  console.log(JSON.stringify(out));
}
