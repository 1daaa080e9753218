// The board's filters in the query string (?assignee=…&priority=…&due=…&label=…), so a filtered board can be shared
// as a link and survives a reload. Unit-tested (filterUrl.test.ts).
import { NO_FILTERS, PRIORITIES, type Filters } from './model';

const KEYS = ['assignee', 'priority', 'due', 'label'] as const satisfies readonly (keyof Filters)[];
const DUE = new Set(['overdue', 'soon', 'later', 'none']);
/** A user or label id (a UUID) or "none"; anything else in a hand-edited link is ignored. */
const ID = /^(none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const valid: Record<keyof Filters, (v: string) => boolean> = {
  assignee: v => ID.test(v),
  label: v => ID.test(v),
  priority: v => (PRIORITIES as readonly string[]).includes(v),
  due: v => DUE.has(v),
};

/** The filters a query string asks for; unknown or invalid values are left out (= any). */
export function filtersFromSearch(search: string): Filters {
  const p = new URLSearchParams(search);
  const f: Filters = { ...NO_FILTERS };
  for (const k of KEYS) {
    const v = p.get(k);
    if (v && valid[k](v)) f[k] = v;
  }
  return f;
}

/** The query string ("?…" or "") with these filters, keeping every other parameter of `search` (e.g. `task`). */
export function searchWithFilters(search: string, f: Filters): string {
  const p = new URLSearchParams(search);
  for (const k of KEYS) {
    if (f[k]) p.set(k, f[k]); else p.delete(k);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The query string without one parameter (e.g. `task` once acted on). */
export function searchWithout(search: string, name: string): string {
  const p = new URLSearchParams(search);
  p.delete(name);
  const s = p.toString();
  return s ? `?${s}` : '';
}
