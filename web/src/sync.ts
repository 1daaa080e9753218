// The board's sync engine: one external store per open board. It owns the tasks the server confirmed,
// the applied seq, the out-of-order buffer and the optimistic edits in flight, and publishes immutable
// snapshots (subscribe/getSnapshot) that React reads with useSyncExternalStore. No DOM, no network:
// the catch-up fetch is injected (BoardFeed), so everything here is unit-tested with Vitest.
import type { BoardEvent, Label, Member, PresenceUser, Task, TaskDelta, WireEvent } from './api/types';

export type Connection = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';
export type Applied = { kind: 'upsert'; task: Task; event: BoardEvent } | { kind: 'delete'; id: string; event: BoardEvent };

/** One optimistic write in flight: its fields show over the confirmed task until the server answers. */
export interface PendingEdit { readonly id: string; readonly patch: Partial<Task>; readonly baseVersion: number }

export interface BoardSnapshot {
  /** What the board shows: confirmed tasks with pending edits laid over them, minus tasks in their undo window. */
  readonly tasks: ReadonlyMap<string, Task>;
  /** The last board event applied; events apply strictly in seq order. */
  readonly appliedSeq: number;
  /** Optimistic edits in flight, by task id, oldest first. */
  readonly pending: ReadonlyMap<string, readonly PendingEdit[]>;
  /** Tasks deleted here whose DELETE is not sent yet (the undo window). */
  readonly deleting: ReadonlySet<string>;
  readonly connection: Connection;
  /** Who has the board open (hub presence). */
  readonly presence: readonly PresenceUser[];
  readonly members: readonly Member[];
  /** The board's labels (GET /labels, then kept live by LabelsChanged events), by name. */
  readonly labels: readonly Label[];
  /** The board's name and version after a rename seen live (BoardRenamed) since it was opened; null: as loaded. */
  readonly renamed: { readonly name: string; readonly version: number } | null;
}

export function isDelete(e: BoardEvent): boolean {
  return e.type === 'TaskDeleted';
}

/** A delta event (the hub's `?events=delta`): it names its task by `taskId` and carries no `task`. */
export function isDelta(e: WireEvent): e is TaskDelta {
  return 'taskId' in e && !('task' in e);
}

/** Task fields a delta's change may set, as their wire strings (`title` "" and `labelIds` comma-joined are special). */
const PLAIN_FIELDS = new Set(['description', 'status', 'priority', 'dueAt', 'assigneeId', 'supervisorId', 'archivedAt', 'position']);

/** A task field as a change's wire string (what the full shape's `from`/`to` hold): null when empty. */
function wireValue(t: Task, field: string): string | null {
  if (field === 'title') return t.title || null;
  if (field === 'labelIds') return t.labelIds.length ? t.labelIds.join(',') : null;
  const v = (t as unknown as Record<string, unknown>)[field];
  return v == null ? null : String(v);
}

/**
 * A delta made whole from the task as held here: the full event the server would have sent (the task after the change,
 * each change with its `from`), so everything downstream sees one shape. Null when it cannot be made whole: the task
 * is not here, an earlier change to it is missing (its version is more than one behind), or a field is unknown; the
 * full event is then fetched (catch-up from the applied seq). A delta older than the task held yields a task with that
 * older version, which the store then ignores like any stale event.
 */
export function expandDelta(d: TaskDelta, local: Task | undefined): BoardEvent | null {
  const base = { boardId: d.boardId, seq: d.seq, type: d.type, actorId: d.actorId, at: d.at };
  if (d.type === 'TaskDeleted') return local ? { ...base, task: local, changes: [] } : null;
  if (!local || d.version == null || local.version < d.version - 1) return null;
  const patch: Record<string, unknown> = { version: d.version, updatedAt: d.updatedAt ?? d.at };
  const changes: BoardEvent['changes'] = [];
  for (const c of d.changes ?? []) {
    if (c.field === 'title') patch.title = c.to ?? '';
    else if (c.field === 'labelIds') patch.labelIds = c.to ? c.to.split(',') : [];
    else if (PLAIN_FIELDS.has(c.field)) patch[c.field] = c.to;
    else return null;
    changes.push({ field: c.field, from: wireValue(local, c.field), to: c.to });
  }
  for (const k of ['status', 'position', 'completedAt', 'escalatedAt'] as const) if (k in d) patch[k] = d[k];
  return { ...base, task: { ...local, ...patch } as Task, changes };
}

/** Every event about a task but its deletion (created, updated, moved, commented, checklist…) carries the
 *  task as it is after the change; a board-level event (labels) has no task. */
function isUpsert(e: BoardEvent): boolean {
  return e.task != null && e.type !== 'TaskDeleted';
}

export class BoardStore {
  private readonly confirmed = new Map<string, Task>();
  private readonly buffer = new Map<number, WireEvent>();
  private readonly tombstones = new Set<string>();
  private readonly edits = new Map<string, PendingEdit[]>();
  private readonly hidden = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private readonly eventListeners = new Set<(e: BoardEvent) => void>();
  /** Tasks changed by an event that is not announced per card (a column respread). */
  private quietlyChanged = false;
  private snap: BoardSnapshot;

  constructor(tasks: Task[], seq: number, members: readonly Member[] = []) {
    for (const t of tasks) this.confirmed.set(t.id, t);
    this.snap = {
      tasks: new Map(this.confirmed), appliedSeq: seq, pending: new Map(), deleting: new Set(),
      connection: 'connecting', presence: [], members, labels: [], renamed: null,
    };
  }

  // ---- the external-store contract (stable functions: safe to hand to useSyncExternalStore) ----

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  };

  readonly getSnapshot = (): BoardSnapshot => this.snap;

  /** Every event applied, in seq order (the open task dialog follows its task's comments, checklist and changes). */
  onEvent(listener: (e: BoardEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => { this.eventListeners.delete(listener); };
  }

  get appliedSeq(): number { return this.snap.appliedSeq; }
  get hasGap(): boolean { return this.buffer.size > 0; }
  /** The task as the server last confirmed it (no optimistic fields). */
  confirmedTask(id: string): Task | undefined { return this.confirmed.get(id); }

  // ---- board events ----

  /** Feeds one event; returns what changed and whether events are missing (call catch-up). */
  receive(e: WireEvent): { applied: Applied[]; needCatchUp: boolean } {
    return this.receiveMany([e]);
  }

  /** Events in either shape; a delta that cannot be made whole here stays in the buffer as a gap until its full
   *  event (a catch-up) replaces it. A full event is never replaced by a delta of the same seq. */
  receiveMany(events: readonly WireEvent[]): { applied: Applied[]; needCatchUp: boolean } {
    let seq = this.snap.appliedSeq;
    for (const e of events) {
      if (e.seq <= seq) continue;
      const held = this.buffer.get(e.seq);
      if (!held || isDelta(held) || !isDelta(e)) this.buffer.set(e.seq, e);
    }
    const applied: Applied[] = [];
    const seen: BoardEvent[] = [];
    for (;;) {
      const next = this.buffer.get(seq + 1);
      if (!next) break;
      const whole = isDelta(next) ? expandDelta(next, this.confirmed.get(next.taskId)) : next;
      if (!whole) break; // fetch its full event
      this.buffer.delete(next.seq);
      seq = next.seq;
      const a = this.apply(whole);
      if (a) applied.push(a);
      seen.push(whole);
    }
    for (const s of this.buffer.keys()) if (s <= seq) this.buffer.delete(s); // stale
    const tasksChanged = applied.length > 0 || this.quietlyChanged;
    this.quietlyChanged = false;
    if (seq !== this.snap.appliedSeq || tasksChanged) this.publish({ appliedSeq: seq }, tasksChanged);
    for (const e of seen) for (const l of [...this.eventListeners]) l(e); // after the snapshot shows them
    return { applied, needCatchUp: this.buffer.size > 0 };
  }

  /** A BoardHead: true when the server is ahead of us. */
  head(seq: number): boolean {
    return seq > this.snap.appliedSeq;
  }

  private apply(e: BoardEvent): Applied | null {
    if (e.type === 'LabelsChanged' && e.label) { this.applyLabel(e); return null; }
    if (e.type === 'ColumnRespread' && e.column) { this.applyRespread(e.column.positions); return null; }
    if (e.type === 'BoardRenamed' && e.board) {
      if (e.board.version > (this.snap.renamed?.version ?? 0)) this.publish({ renamed: { name: e.board.name, version: e.board.version } }, false);
      return null;
    }
    if (!e.task) return null; // a board-level change: nothing on a card changes
    const id = e.task.id;
    if (isDelete(e)) {
      this.tombstones.add(id);
      if (!this.confirmed.delete(id)) return null;
      return { kind: 'delete', id, event: e };
    }
    if (!isUpsert(e)) return null;
    const local = this.confirmed.get(id);
    if (local && local.version > e.task.version) return null; // we already hold something newer
    if (!local && this.tombstones.has(id)) return null; // an update that raced its delete
    this.confirmed.set(id, e.task);
    return { kind: 'upsert', task: e.task, event: e };
  }

  /** A label created, renamed/recoloured or deleted (the `label` change goes to null). Tasks that carried a
   *  deleted label get their own TaskUpdated events. */
  private applyLabel(e: BoardEvent): void {
    const label = e.label!;
    const deleted = e.changes.some(c => c.field === 'label' && c.to === null && c.from !== null);
    const rest = this.snap.labels.filter(l => l.id !== label.id);
    this.publish({ labels: sortLabels(deleted ? rest : [...rest, label]) }, false);
  }

  /** A column got fresh positions (a gap worn out by inserts): each listed card takes its new one. Nothing about a
   *  card changed for a person, so nothing is announced; the moving card's own TaskMoved follows. */
  private applyRespread(positions: readonly { taskId: string; position: string }[]): void {
    for (const { taskId, position } of positions) {
      const local = this.confirmed.get(taskId);
      if (local && local.position !== position) { this.confirmed.set(taskId, { ...local, position }); this.quietlyChanged = true; }
    }
  }

  // ---- local writes ----

  /** A task the server returned (created, saved, reloaded). Keeps the newer version unless forced. */
  put(task: Task, force = false): boolean {
    const local = this.confirmed.get(task.id);
    if (!force && local && local.version > task.version) return false;
    if (local === task) return false;
    this.confirmed.set(task.id, task);
    this.publish({}, true);
    return true;
  }

  /** The task is gone on the server (404). */
  remove(id: string): void {
    if (!this.confirmed.delete(id)) return;
    this.publish({}, true);
  }

  /** Starts an optimistic edit: the patch shows at once. Null when the task is not on the board. */
  beginEdit(id: string, patch: Partial<Task>): PendingEdit | null {
    const base = this.confirmed.get(id);
    if (!base || this.hidden.has(id)) return null;
    const edit: PendingEdit = { id, patch, baseVersion: base.version };
    this.edits.set(id, [...(this.edits.get(id) ?? []), edit]);
    this.publish({}, true);
    return edit;
  }

  /** Ends an edit: with the saved task on success, without it on failure (its fields stop showing: a rollback). */
  endEdit(edit: PendingEdit, saved?: Task): void {
    const list = this.edits.get(edit.id)?.filter(e => e !== edit) ?? [];
    if (list.length) this.edits.set(edit.id, list); else this.edits.delete(edit.id);
    if (saved) {
      const local = this.confirmed.get(saved.id);
      if (!local || local.version <= saved.version) this.confirmed.set(saved.id, saved);
    }
    this.publish({}, true);
  }

  /** Hides a task for its undo window (the DELETE is sent later, or never if undone). */
  hide(id: string): void {
    if (this.hidden.has(id)) return;
    this.hidden.add(id);
    this.publish({}, true);
  }

  /** Undo, or the DELETE failed: the task shows again (as last confirmed). */
  unhide(id: string): void {
    if (!this.hidden.delete(id)) return;
    this.publish({}, true);
  }

  /** The server deleted it. */
  deleted(id: string): void {
    this.hidden.delete(id);
    this.tombstones.add(id);
    this.confirmed.delete(id);
    this.publish({}, true);
  }

  // ---- connection, presence, members ----

  setConnection(connection: Connection): void {
    if (connection !== this.snap.connection) this.publish({ connection }, false);
  }

  setPresence(presence: readonly PresenceUser[]): void {
    const same = presence.length === this.snap.presence.length &&
      presence.every((p, i) => p.userId === this.snap.presence[i].userId && p.displayName === this.snap.presence[i].displayName);
    if (!same) this.publish({ presence }, false);
  }

  /** The board's labels as loaded, or one label saved here (upsert), or one deleted here. */
  setLabels(labels: readonly Label[]): void { this.publish({ labels: sortLabels(labels) }, false); }
  putLabel(label: Label): void { this.setLabels([...this.snap.labels.filter(l => l.id !== label.id), label]); }
  removeLabel(id: string): void { this.setLabels(this.snap.labels.filter(l => l.id !== id)); }

  setMembers(members: readonly Member[]): void {
    if (members !== this.snap.members) this.publish({ members }, false);
  }

  // ---- snapshots ----

  private publish(next: Partial<BoardSnapshot>, tasksChanged: boolean): void {
    this.snap = { ...this.snap, ...next, ...(tasksChanged ? this.taskViews() : {}) };
    for (const l of [...this.listeners]) l();
  }

  private taskViews(): Pick<BoardSnapshot, 'tasks' | 'pending' | 'deleting'> {
    const tasks = new Map(this.confirmed);
    for (const [id, list] of this.edits) {
      const base = tasks.get(id);
      if (base) tasks.set(id, Object.assign({}, base, ...list.map(e => e.patch)));
    }
    for (const id of this.hidden) tasks.delete(id);
    const pending = new Map<string, readonly PendingEdit[]>();
    for (const [id, list] of this.edits) pending.set(id, [...list]);
    return { tasks, pending, deleting: new Set(this.hidden) };
  }
}

function sortLabels(labels: readonly Label[]): readonly Label[] {
  return [...labels].sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
}

/**
 * Feeds events into a store and catches up by seq: a gap, or a head beyond the applied seq, fetches
 * `after=appliedSeq` (paged, 1000 per page) until the store has no gap. A failed fetch is reported and retried.
 */
export class BoardFeed {
  private running = false;
  private again = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly store: BoardStore,
    private readonly fetchEvents: (after: number) => Promise<BoardEvent[]>,
    private readonly onApplied: (applied: Applied[]) => void,
    private readonly onError: (error: unknown) => void,
    private readonly retryMs = 3000,
  ) {}

  feed(events: readonly WireEvent[]): void {
    const r = this.store.receiveMany(events);
    if (r.applied.length) this.onApplied(r.applied);
    if (r.needCatchUp) void this.catchUp();
  }

  head(seq: number): void {
    if (this.store.head(seq)) void this.catchUp();
  }

  async catchUp(): Promise<void> {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    this.running = true;
    try {
      do {
        this.again = false;
        const events = await this.fetchEvents(this.store.appliedSeq);
        if (this.stopped) return;
        if (events.length) this.feed(events);
        if (events.length >= 1000) this.again = true;
      } while (this.again);
    } catch (e) {
      if (this.stopped) return;
      this.onError(e);
      if (!this.retry) this.retry = setTimeout(() => { this.retry = null; void this.catchUp(); }, this.retryMs);
    } finally { this.running = false; }
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
  }
}
