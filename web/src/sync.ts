// Pure board state + catch-up logic (no DOM, no network): unit-tested with Vitest.
export type Status = 'todo' | 'in_progress' | 'done';
export type Priority = 'low' | 'medium' | 'high' | 'urgent';

export interface Task {
  id: string;
  boardId: string;
  title: string;
  description: string | null;
  status: Status;
  priority: Priority;
  dueAt: string | null;
  assigneeId: string | null;
  supervisorId: string | null;
  createdById: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  version: number;
}

export interface Change { field: string; from: unknown; to: unknown }

export interface BoardEvent {
  boardId: string;
  seq: number;
  type: string; // TaskCreated | TaskUpdated | TaskDeleted
  task: Task;
  actorId: string | null;
  changes: Change[];
  at: string;
}

export type Applied = { kind: 'upsert'; task: Task; event: BoardEvent } | { kind: 'delete'; id: string; event: BoardEvent };

export function isDelete(e: BoardEvent): boolean {
  return e.type.toLowerCase().includes('delet');
}

/**
 * Keeps the tasks of one board and the last applied seq. Events are applied strictly in seq order;
 * out-of-order events wait in a buffer; a gap (or a head beyond the applied seq) asks for a catch-up.
 */
export class BoardSync {
  readonly tasks = new Map<string, Task>();
  appliedSeq: number;
  private readonly pending = new Map<number, BoardEvent>();
  private readonly deleted = new Set<string>();

  constructor(tasks: Task[], seq: number) {
    for (const t of tasks) this.tasks.set(t.id, t);
    this.appliedSeq = seq;
  }

  /** Feeds one event; returns what changed and whether events are missing (call catch-up). */
  receive(e: BoardEvent): { applied: Applied[]; needCatchUp: boolean } {
    return this.receiveMany([e]);
  }

  receiveMany(events: BoardEvent[]): { applied: Applied[]; needCatchUp: boolean } {
    for (const e of events) if (e.seq > this.appliedSeq) this.pending.set(e.seq, e);
    const applied: Applied[] = [];
    for (;;) {
      const next = this.pending.get(this.appliedSeq + 1);
      if (!next) break;
      this.pending.delete(next.seq);
      this.appliedSeq = next.seq;
      const a = this.apply(next);
      if (a) applied.push(a);
    }
    // drop anything that became stale
    for (const s of this.pending.keys()) if (s <= this.appliedSeq) this.pending.delete(s);
    return { applied, needCatchUp: this.pending.size > 0 };
  }

  /** A BoardHead: true when the server is ahead of us. */
  head(seq: number): boolean {
    return seq > this.appliedSeq;
  }

  get hasGap(): boolean {
    return this.pending.size > 0;
  }

  private apply(e: BoardEvent): Applied | null {
    const id = e.task.id;
    if (isDelete(e)) {
      this.deleted.add(id);
      if (!this.tasks.delete(id)) return null;
      return { kind: 'delete', id, event: e };
    }
    const local = this.tasks.get(id);
    if (local && local.version > e.task.version) return null; // we already hold something newer
    if (!local && this.deleted.has(id)) return null;
    this.tasks.set(id, e.task);
    return { kind: 'upsert', task: e.task, event: e };
  }

  /** A local (optimistic or server-confirmed) write. Keeps the newer version unless forced. */
  put(task: Task, force = false): boolean {
    const local = this.tasks.get(task.id);
    if (!force && local && local.version > task.version) return false;
    this.tasks.set(task.id, task);
    return true;
  }

  remove(id: string): void {
    this.tasks.delete(id);
  }
}

export const STATUSES: Status[] = ['todo', 'in_progress', 'done'];
export const STATUS_LABEL: Record<Status, string> = { todo: 'To do', in_progress: 'In progress', done: 'Done' };
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

/** A datetime-local value ("2026-11-23T14:30", local time) → UTC ISO, or null. */
export function localInputToUtc(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return isNaN(d.getTime()) ? null : d.toISOString();
}

/** UTC ISO → datetime-local value in the browser's time zone. */
export function utcToLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function initials(name: string | null | undefined): string {
  if (!name) return '?';
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  return ((parts[0][0] ?? '') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
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
