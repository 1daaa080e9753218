// Pure board maths: columns, ordering, deadlines, keyboard neighbours, windowing. Unit-tested (model.test.ts).
import type { Priority, Status, Task } from '../api/types';

export const STATUSES: Status[] = ['todo', 'in_progress', 'done'];
export const STATUS_LABEL: Record<Status, string> = { todo: 'To do', in_progress: 'In progress', done: 'Done' };
export const PRIORITIES: Priority[] = ['urgent', 'high', 'medium', 'low'];
const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, high: 1, medium: 2, low: 3 };

/** Groups tasks into the three columns, most urgent first, then oldest first. */
export function columnsOf(tasks: Iterable<Task>, filter?: (t: Task) => boolean): Record<Status, Task[]> {
  const cols: Record<Status, Task[]> = { todo: [], in_progress: [], done: [] };
  for (const t of tasks) if (!filter || filter(t)) (cols[t.status] ?? cols.todo).push(t);
  for (const s of STATUSES) cols[s].sort(compareTasks);
  return cols;
}

export function compareTasks(a: Task, b: Task): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
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

/** Which slice of a fixed-row-height list is visible (with overscan). */
export function visibleRange(count: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 6): [number, number] {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return [first, Math.max(first, last)];
}

/** Next column for keyboard moves. */
export function neighbourStatus(s: Status, dir: -1 | 1): Status | null {
  const i = STATUSES.indexOf(s) + dir;
  return i >= 0 && i < STATUSES.length ? STATUSES[i] : null;
}

export interface Filters { assignee: string; priority: string; due: string }
export const NO_FILTERS: Filters = { assignee: '', priority: '', due: '' };

/** The board's filter as a predicate, or undefined when nothing is filtered. */
export function filterOf(f: Filters, now = Date.now()): ((t: Task) => boolean) | undefined {
  if (!f.assignee && !f.priority && !f.due) return undefined;
  return (t: Task) =>
    (!f.assignee || (f.assignee === 'none' ? !t.assigneeId : t.assigneeId === f.assignee)) &&
    (!f.priority || t.priority === f.priority) &&
    (!f.due || (f.due === 'none' ? !t.dueAt : dueState(t, now) === f.due));
}
