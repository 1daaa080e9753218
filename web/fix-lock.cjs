// Adds lockfile entries for rollup's platform binaries that the package mirror does not carry,
// so `npm ci` accepts the lockfile on every platform (npm skips entries whose os/cpu do not match).
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const rollup = lock.packages['node_modules/rollup'];
const cpuOf = { 'arm-eabi': 'arm', arm64: 'arm64', x64: 'x64', 'arm-gnueabihf': 'arm', 'arm-musleabihf': 'arm', 'arm64-musl': 'arm64', 'arm64-gnu': 'arm64', 'loong64-gnu': 'loong64', 'loong64-musl': 'loong64', 'ppc64-gnu': 'ppc64', 'ppc64-musl': 'ppc64', 'riscv64-gnu': 'riscv64', 'riscv64-musl': 'riscv64', 's390x-gnu': 's390x', 'x64-musl': 'x64', 'x64-gnu': 'x64', 'arm64-msvc': 'arm64', 'ia32-msvc': 'ia32', 'x64-msvc': 'x64' };
let added = 0;
for (const [name, version] of Object.entries(rollup.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const m = name.match(/^@rollup\/rollup-([a-z0-9]+)-(.+)$/);
  if (!m) continue;
  const os = m[1] === 'win32' ? 'win32' : m[1];
  const cpu = cpuOf[m[2]];
  if (!cpu) throw new Error('unknown cpu for ' + name);
  const entry = { version, cpu: [cpu], dev: true, license: 'MIT', optional: true, os: [os] };
  if (m[2].endsWith('-gnu') || m[2].endsWith('gnueabihf')) entry.libc = ['glibc'];
  if (m[2].endsWith('-musl') || m[2].endsWith('musleabihf')) entry.libc = ['musl'];
  lock.packages[key] = entry;
  added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} lockfile entries`);
