// Pure board maths: columns, ordering, deadlines, keyboard neighbours, windowing (rows of any height). Unit-tested (model.test.ts).
import type { Priority, Status, Task } from '../api/types';

export const STATUSES: Status[] = ['todo', 'in_progress', 'done'];
export const STATUS_LABEL: Record<Status, string> = { todo: 'To do', in_progress: 'In progress', done: 'Done' };
export const PRIORITIES: Priority[] = ['urgent', 'high', 'medium', 'low'];
/** A priority as people read it, the same in the menus, on the cards and in their labels. */
export const PRIORITY_LABEL: Record<Priority, string> = { urgent: 'Urgent', high: 'High', medium: 'Medium', low: 'Low' };

/** Groups the board's (unarchived) tasks into the three columns, each in its order (by position, ties by id). */
export function columnsOf(tasks: Iterable<Task>, filter?: (t: Task) => boolean): Record<Status, Task[]> {
  const cols: Record<Status, Task[]> = { todo: [], in_progress: [], done: [] };
  for (const t of tasks) if (!t.archivedAt && (!filter || filter(t))) (cols[t.status] ?? cols.todo).push(t);
  for (const s of STATUSES) cols[s].sort(compareTasks);
  return cols;
}

/** Byte-wise string order, as the server compares positions (ordinal): `<`/`>` on JS strings compare UTF-16
 *  code units, which for the ASCII position digits is byte order. Never localeCompare (it folds case). */
export function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A column's order: position, ties by id (the server's order). */
export function compareTasks(a: Pick<Task, 'position' | 'id'>, b: Pick<Task, 'position' | 'id'>): number {
  return ordinal(a.position, b.position) || ordinal(a.id, b.id);
}

// ---- positions (client-side copy of the server's Positions.Between, for the optimistic placement only:
// the server computes the real key and the saved task replaces ours) ----
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE = 62;
const digit = (c: string) => { const d = DIGITS.indexOf(c); if (d < 0) throw new Error(`'${c}' is not a position digit`); return d; };

/** After the last key: step the first digit up to "z", then count up at a fixed width, widening only when all "z". */
function positionAfter(before: string): string {
  if (digit(before[0]) < BASE - 1) return DIGITS[digit(before[0]) + 1];
  const digits = before.split('');
  for (let i = digits.length - 1; i >= 0; i--) {
    const d = digit(digits[i]);
    if (d === BASE - 1) continue;
    digits[i] = DIGITS[d + 1];
    for (let j = i + 1; j < digits.length; j++) digits[j] = DIGITS[0];
    if (digits[digits.length - 1] === DIGITS[0]) digits[digits.length - 1] = DIGITS[1];
    return digits.join('');
  }
  return before + DIGITS[0].repeat(before.length - 1) + DIGITS[1];
}

/** A key strictly after `before` and before `after` (null: unbounded on that side). */
export function positionBetween(before: string | null, after: string | null): string {
  if (!before) before = null;
  if (!after) after = null;
  if (before !== null && after !== null && ordinal(before, after) >= 0) throw new Error(`'${before}' is not before '${after}'`);
  if (before === null && after === null) return 'V';
  if (after === null) return positionAfter(before!);
  if (before === null) {
    for (let i = 0; i < after.length; i++) if (digit(after[i]) >= 2) return after.slice(0, i) + DIGITS[digit(after[i]) - 1];
  }
  const lo = before ?? '';
  let key = '';
  let bounded = true;
  for (let i = 0; ; i++) {
    const low = i < lo.length ? digit(lo[i]) : 0;
    const high = bounded && i < after.length ? digit(after[i]) : BASE;
    if (low === high) { key += DIGITS[low]; continue; }
    const mid = Math.floor((low + high) / 2);
    if (mid > low) return key + DIGITS[mid];
    key += DIGITS[low];
    bounded = false;
  }
}

/**
 * Where a card lands when put at `slot` of `visible` (the column as shown, possibly filtered; the moving card
 * left out): `afterId` is the card shown above the slot (null: the top), and `position` a temporary key
 * between that card and the one after it in the full column `all` (sorted, the moving card left out) —
 * a filter may hide cards between two shown ones.
 */
export function placement(all: readonly Task[], visible: readonly Task[], slot: number): { afterId: string | null; position: string } {
  const above = slot > 0 ? visible[Math.min(slot, visible.length) - 1] : null;
  const i = above ? all.findIndex(t => t.id === above.id) : -1;
  const before = i >= 0 ? all[i].position : null;
  const next = all[i + 1]?.position ?? null;
  let position: string;
  try { position = positionBetween(before, next !== null && before !== null && next <= before ? null : next); }
  catch { position = before ?? 'V'; } // unreadable keys: the server's answer puts it right
  return { afterId: above?.id ?? null, position };
}

/** The slot a card moves to with ↑ (-1) or ↓ (+1) within its column as shown, or null at an end. */
export function stepSlot(visible: readonly Task[], id: string, dir: -1 | 1): number | null {
  const i = visible.findIndex(t => t.id === id);
  if (i < 0) return null;
  const j = i + dir;
  if (j < 0 || j >= visible.length) return null;
  return j; // slot in the list without the card: above the card now at j (up) or after it (down)
}

/** 'overdue' | 'soon' (within 48 h) | 'later' | null. Done tasks are never overdue. */
export function dueState(t: Pick<Task, 'dueAt' | 'status'>, now = Date.now()): 'overdue' | 'soon' | 'later' | null {
  if (!t.dueAt) return null;
  const due = Date.parse(t.dueAt);
  if (t.status === 'done') return 'later';
  if (due < now) return 'overdue';
  if (due - now <= 48 * 3600 * 1000) return 'soon';
  return 'later';
}

/** Rows stacked one after another: each row's top and the total height. */
export function stackLayout(heights: readonly number[]): { tops: number[]; total: number } {
  const tops = new Array<number>(heights.length);
  let y = 0;
  for (let i = 0; i < heights.length; i++) { tops[i] = y; y += heights[i]; }
  return { tops, total: y };
}

/** The first row whose bottom is below `y` (binary search over the tops; `count` when none). */
function rowAt(tops: readonly number[], total: number, y: number): number {
  let lo = 0, hi = tops.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const bottom = mid + 1 < tops.length ? tops[mid + 1] : total;
    if (bottom <= y) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Which slice of a list of rows of any height (laid out by `stackLayout`) is visible, with overscan rows each side. */
export function visibleRows(tops: readonly number[], total: number, scrollTop: number, viewport: number, overscan = 6): [number, number] {
  const count = tops.length;
  const first = Math.max(0, rowAt(tops, total, scrollTop) - overscan);
  const last = Math.min(count, rowAt(tops, total, scrollTop + Math.max(0, viewport - 1)) + 1 + overscan);
  return [first, Math.max(first, last)];
}

/** The slot a point `y` (in the list's coordinates) falls in: before the first row whose middle is below it. */
export function slotAtY(tops: readonly number[], total: number, y: number): number {
  const i = rowAt(tops, total, y);
  if (i >= tops.length) return tops.length;
  const bottom = i + 1 < tops.length ? tops[i + 1] : total;
  return y < (tops[i] + bottom) / 2 ? i : i + 1;
}

/** The avatars a card shows, supervisor first: one for a person who is both assignee and supervisor, saying both. */
export function peopleOf(t: Pick<Task, 'assigneeId' | 'supervisorId'>, assignee: string | null, supervisor: string | null):
  { role: 'both' | 'assignee' | 'supervisor'; id: string | null; name: string; title: string; label: string }[] {
  if (assignee && t.assigneeId && t.assigneeId === t.supervisorId)
    return [{ role: 'both', id: t.assigneeId, name: assignee, title: `Assignee and supervisor: ${assignee}`, label: `assigned to and supervised by ${assignee}` }];
  const out: ReturnType<typeof peopleOf> = [];
  if (supervisor) out.push({ role: 'supervisor', id: t.supervisorId ?? null, name: supervisor, title: `Supervisor: ${supervisor}`, label: `supervised by ${supervisor}` });
  if (assignee) out.push({ role: 'assignee', id: t.assigneeId ?? null, name: assignee, title: `Assignee: ${assignee}`, label: `assigned to ${assignee}` });
  return out;
}

/** Next column for keyboard moves. */
export function neighbourStatus(s: Status, dir: -1 | 1): Status | null {
  const i = STATUSES.indexOf(s) + dir;
  return i >= 0 && i < STATUSES.length ? STATUSES[i] : null;
}

export interface Filters { assignee: string; priority: string; due: string; label: string }
export const NO_FILTERS: Filters = { assignee: '', priority: '', due: '', label: '' };

/** The board's filter as a predicate, or undefined when nothing is filtered. */
export function filterOf(f: Filters, now = Date.now()): ((t: Task) => boolean) | undefined {
  if (!f.assignee && !f.priority && !f.due && !f.label) return undefined;
  return (t: Task) =>
    (!f.assignee || (f.assignee === 'none' ? !t.assigneeId : t.assigneeId === f.assignee)) &&
    (!f.priority || t.priority === f.priority) &&
    (!f.label || (f.label === 'none' ? t.labelIds.length === 0 : t.labelIds.includes(f.label))) &&
    (!f.due || (f.due === 'none' ? !t.dueAt : dueState(t, now) === f.due));
}
