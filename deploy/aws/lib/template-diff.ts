// A `cdk diff`-like summary of two CloudFormation templates: resources added, removed, and each changed
// property path with its old and new value (shortened).
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const show = (v: Json) => { const s = JSON.stringify(v); return s === undefined ? '(none)' : s.length > 120 ? `${s.slice(0, 117)}...` : s; };

function changes(a: Json, b: Json, at: string, out: string[]) {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const isObj = (x: Json) => x !== null && typeof x === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) changes(a[k], b[k], at ? `${at}.${k}` : k, out);
    return;
  }
  out.push(`      ${at}: ${show(a)} -> ${show(b)}`);
}

export function templateDiff(before: Json, after: Json): string[] {
  const out: string[] = [];
  for (const section of ['Parameters', 'Resources', 'Outputs', 'Conditions', 'Mappings', 'Rules']) {
    const a = before[section] ?? {}, b = after[section] ?? {};
    for (const id of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const type = (b[id] ?? a[id])?.Type ?? section.replace(/s$/, '');
      if (!(id in a)) out.push(`[+] ${type} ${id}`);
      else if (!(id in b)) out.push(`[-] ${type} ${id}`);
      else if (JSON.stringify(a[id]) !== JSON.stringify(b[id])) { out.push(`[~] ${type} ${id}`); changes(a[id], b[id], '', out); }
    }
  }
  return out;
}
