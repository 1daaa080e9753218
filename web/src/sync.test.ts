import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BoardEvent, Task, TaskDelta } from './api/types';
import { BoardFeed, BoardStore, type Applied } from './sync';
import { task } from './test/fixtures';
import { columnsOf } from './board/model';

function ev(seq: number, type: string, t: Task): BoardEvent {
  return { boardId: 'b', seq, type, task: t, actorId: 'u', changes: [], at: '2026-01-01T00:00:00Z' };
}
const tasksOf = (s: BoardStore) => s.getSnapshot().tasks;

describe('BoardStore: events', () => {
  it('applies events in order and advances the seq', () => {
    const s = new BoardStore([], 5);
    const r = s.receive(ev(6, 'TaskCreated', task('a')));
    expect(r.applied).toHaveLength(1);
    expect(r.needCatchUp).toBe(false);
    expect(s.getSnapshot().appliedSeq).toBe(6);
    expect(tasksOf(s).get('a')?.title).toBe('a');
  });

  it('ignores events at or below the applied seq', () => {
    const s = new BoardStore([task('a')], 10);
    const r = s.receive(ev(10, 'TaskDeleted', task('a')));
    expect(r.applied).toHaveLength(0);
    expect(tasksOf(s).has('a')).toBe(true);
  });

  it('applies out-of-order events in seq order: a later event waits for the one before it', () => {
    const s = new BoardStore([task('a', { title: 'v1' })], 1);
    // seq 3 (title v3) arrives before seq 2 (title v2)
    const r3 = s.receive(ev(3, 'TaskUpdated', task('a', { title: 'v3', version: 3 })));
    expect(r3.applied).toEqual([]);
    expect(r3.needCatchUp).toBe(true);
    expect(tasksOf(s).get('a')?.title).toBe('v1');
    expect(s.getSnapshot().appliedSeq).toBe(1);
    const r2 = s.receive(ev(2, 'TaskUpdated', task('a', { title: 'v2', version: 2 })));
    expect(r2.applied.map(a => a.event.seq)).toEqual([2, 3]);
    expect(r2.needCatchUp).toBe(false);
    expect(tasksOf(s).get('a')?.title).toBe('v3');
    expect(s.getSnapshot().appliedSeq).toBe(3);
  });

  it('detects a gap, buffers, and fills it from a catch-up', () => {
    const s = new BoardStore([], 1);
    const r1 = s.receive(ev(3, 'TaskCreated', task('c')));
    expect(r1.needCatchUp).toBe(true);
    expect(s.hasGap).toBe(true);
    expect(tasksOf(s).has('c')).toBe(false);
    const r2 = s.receiveMany([ev(2, 'TaskCreated', task('b')), ev(3, 'TaskCreated', task('c'))]);
    expect(r2.needCatchUp).toBe(false);
    expect(r2.applied.map(a => a.event.seq)).toEqual([2, 3]);
    expect(s.appliedSeq).toBe(3);
  });

  it('never replaces a newer local version with an older event', () => {
    const s = new BoardStore([task('a', { version: 5, title: 'new' })], 0);
    s.receive(ev(1, 'TaskUpdated', task('a', { version: 4, title: 'old' })));
    expect(tasksOf(s).get('a')?.title).toBe('new');
    expect(s.appliedSeq).toBe(1);
    s.receive(ev(2, 'TaskUpdated', task('a', { version: 5, title: 'same' })));
    expect(tasksOf(s).get('a')?.title).toBe('same');
  });

  it('deletes on exactly TaskDeleted and does not resurrect on a late update', () => {
    const s = new BoardStore([task('a'), task('b')], 0);
    s.receive(ev(1, 'TaskDeleted', task('a')));
    expect(tasksOf(s).has('a')).toBe(false);
    s.receive(ev(2, 'TaskUpdated', task('a', { version: 2 })));
    expect(tasksOf(s).has('a')).toBe(false);
    // a type that merely contains "delet" is not a delete
    s.receive(ev(3, 'TaskUndeleted', task('b', { version: 2 })));
    expect(tasksOf(s).has('b')).toBe(true);
    expect(s.appliedSeq).toBe(3);
    expect(s.put(task('a', { version: 9 }))).toBe(true); // a local put is explicit
  });

  it('reports a head beyond the applied seq', () => {
    const s = new BoardStore([], 4);
    expect(s.head(4)).toBe(false);
    expect(s.head(7)).toBe(true);
  });

  it('put keeps the newer version unless forced', () => {
    const s = new BoardStore([task('a', { version: 3 })], 0);
    expect(s.put(task('a', { version: 2 }))).toBe(false);
    expect(s.put(task('a', { version: 2 }), true)).toBe(true);
    expect(tasksOf(s).get('a')?.version).toBe(2);
  });
});

describe('BoardStore: subscribe / getSnapshot', () => {
  it('returns the same snapshot object until something changes, then a new one', () => {
    const s = new BoardStore([task('a')], 1);
    const listener = vi.fn();
    s.subscribe(listener);
    const first = s.getSnapshot();
    expect(s.getSnapshot()).toBe(first);

    // no-ops: a stale event, an older version, the same connection state, the same presence
    s.receive(ev(1, 'TaskUpdated', task('a', { title: 'stale' })));
    s.put(task('a', { version: 0 }));
    s.setConnection('connecting');
    s.setPresence([]);
    s.unhide('a');
    expect(s.getSnapshot()).toBe(first);
    expect(listener).not.toHaveBeenCalled();

    s.receive(ev(2, 'TaskUpdated', task('a', { title: 'changed', version: 2 })));
    const second = s.getSnapshot();
    expect(second).not.toBe(first);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(s.getSnapshot()).toBe(second);
  });

  it('never mutates a published snapshot', () => {
    const s = new BoardStore([task('a')], 1);
    const before = s.getSnapshot();
    const beforeTask = before.tasks.get('a');
    s.receive(ev(2, 'TaskUpdated', task('a', { title: 'changed', version: 2 })));
    s.receive(ev(3, 'TaskCreated', task('b')));
    s.hide('a');
    expect(before.appliedSeq).toBe(1);
    expect(before.tasks.get('a')).toBe(beforeTask);
    expect(before.tasks.get('a')?.title).toBe('a');
    expect(before.tasks.has('b')).toBe(false);
    expect(before.deleting.size).toBe(0);
    expect(s.getSnapshot().tasks.has('a')).toBe(false);
  });

  it('keeps unchanged slices and task objects when something else changes', () => {
    const s = new BoardStore([task('a'), task('b')], 1);
    const first = s.getSnapshot();
    s.setConnection('connected');
    const second = s.getSnapshot();
    expect(second).not.toBe(first);
    expect(second.connection).toBe('connected');
    expect(second.tasks).toBe(first.tasks); // the columns need not re-sort for a connection change
    s.receive(ev(2, 'TaskUpdated', task('a', { title: 'A', version: 2 })));
    expect(s.getSnapshot().tasks.get('b')).toBe(first.tasks.get('b')); // memoised cards keep their props
  });

  it('stops notifying after unsubscribe', () => {
    const s = new BoardStore([], 0);
    const listener = vi.fn();
    const off = s.subscribe(listener);
    s.setConnection('connected');
    off();
    s.setConnection('reconnecting');
    expect(listener).toHaveBeenCalledTimes(1);
  });
});

describe('BoardStore: optimistic edits', () => {
  it('shows a pending edit at once and keeps the saved task on success', () => {
    const s = new BoardStore([task('a', { version: 3 })], 0);
    const edit = s.beginEdit('a', { status: 'done' })!;
    expect(edit.baseVersion).toBe(3);
    expect(tasksOf(s).get('a')?.status).toBe('done');
    expect(s.getSnapshot().pending.get('a')).toHaveLength(1);
    expect(s.confirmedTask('a')?.status).toBe('todo');
    s.endEdit(edit, task('a', { status: 'done', version: 4 }));
    expect(s.getSnapshot().pending.size).toBe(0);
    expect(tasksOf(s).get('a')).toMatchObject({ status: 'done', version: 4 });
  });

  it('rolls back on failure, to what the server last said (including events that arrived meanwhile)', () => {
    const s = new BoardStore([task('a', { version: 1 })], 0);
    const edit = s.beginEdit('a', { status: 'done' })!;
    s.receive(ev(1, 'TaskUpdated', task('a', { title: 'renamed', version: 2 })));
    expect(tasksOf(s).get('a')).toMatchObject({ status: 'done', title: 'renamed' }); // the edit still shows over it
    s.endEdit(edit);
    expect(tasksOf(s).get('a')).toMatchObject({ status: 'todo', title: 'renamed', version: 2 });
  });

  it('hides a task for its undo window and shows it again on undo', () => {
    const s = new BoardStore([task('a')], 0);
    s.hide('a');
    expect(tasksOf(s).has('a')).toBe(false);
    expect(s.getSnapshot().deleting.has('a')).toBe(true);
    expect(s.beginEdit('a', { title: 'x' })).toBeNull();
    s.unhide('a');
    expect(tasksOf(s).has('a')).toBe(true);
    s.hide('a');
    s.deleted('a');
    s.unhide('a');
    expect(tasksOf(s).has('a')).toBe(false);
  });
});

describe('BoardFeed: catch-up', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('a gap fetches the missing events after the applied seq', async () => {
    const store = new BoardStore([], 1);
    const fetchEvents = vi.fn(async (after: number) => [ev(2, 'TaskCreated', task('b')), ev(3, 'TaskCreated', task('c'))].filter(e => e.seq > after));
    const applied: Applied[] = [];
    const feed = new BoardFeed(store, fetchEvents, a => applied.push(...a), () => { throw new Error('unexpected'); });
    feed.feed([ev(3, 'TaskCreated', task('c'))]);
    await vi.waitFor(() => expect(store.appliedSeq).toBe(3));
    expect(fetchEvents).toHaveBeenCalledWith(1);
    expect(applied.map(a => a.event.seq)).toEqual([2, 3]);
    expect([...tasksOf(store).keys()].sort()).toEqual(['b', 'c']);
  });

  it('no gap, no fetch; a head beyond the applied seq fetches', async () => {
    const store = new BoardStore([], 1);
    const fetchEvents = vi.fn(async () => [ev(2, 'TaskCreated', task('b'))]);
    const feed = new BoardFeed(store, fetchEvents, () => {}, () => {});
    feed.feed([ev(2, 'TaskCreated', task('b'))]);
    feed.head(2);
    expect(fetchEvents).not.toHaveBeenCalled();
    store.receive(ev(2, 'TaskCreated', task('b'))); // no-op
    const feed2 = new BoardFeed(new BoardStore([], 1), fetchEvents, () => {}, () => {});
    feed2.head(2);
    await vi.waitFor(() => expect(fetchEvents).toHaveBeenCalledWith(1));
  });

  it('pages through a long catch-up (1000 per page)', async () => {
    const store = new BoardStore([], 0);
    const all = Array.from({ length: 1500 }, (_, i) => ev(i + 1, 'TaskCreated', task(`t${i + 1}`)));
    const fetchEvents = vi.fn(async (after: number) => all.filter(e => e.seq > after).slice(0, 1000));
    const feed = new BoardFeed(store, fetchEvents, () => {}, () => {});
    feed.head(1500);
    await vi.waitFor(() => expect(store.appliedSeq).toBe(1500));
    expect(fetchEvents.mock.calls.map(c => c[0])).toEqual([0, 1000]); // a short page is the last one
  });

  it('reports a failed catch-up and retries it', async () => {
    vi.useFakeTimers();
    const store = new BoardStore([], 1);
    let fail = true;
    const fetchEvents = vi.fn(async () => { if (fail) throw new TypeError('Failed to fetch'); return [ev(2, 'TaskCreated', task('b'))]; });
    const onError = vi.fn();
    const feed = new BoardFeed(store, fetchEvents, () => {}, onError, 3000);
    feed.head(2);
    await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(1));
    fail = false;
    await vi.advanceTimersByTimeAsync(3000);
    expect(store.appliedSeq).toBe(2);
    feed.stop();
  });
});

describe('BoardStore: labels and event listeners', () => {
  const label = (id: string, name: string, color = 'blue') => ({ id, boardId: 'b', name, color, version: 1 });
  const labelEv = (seq: number, l: ReturnType<typeof label>, from: string | null, to: string | null): BoardEvent =>
    ({ boardId: 'b', seq, type: 'LabelsChanged', task: null, actorId: 'u', changes: [{ field: 'label', from, to }], at: '2026-01-01T00:00:00Z', label: l });

  it('keeps the label list live from LabelsChanged (create, rename, delete), sorted by name', () => {
    const s = new BoardStore([], 0);
    s.setLabels([label('1', 'Bug', 'red')]);
    s.receive(labelEv(1, label('2', 'Abc'), null, 'Abc'));
    expect(s.getSnapshot().labels.map(l => l.name)).toEqual(['Abc', 'Bug']);
    s.receive(labelEv(2, label('1', 'Zed', 'green'), 'Bug', 'Zed'));
    expect(s.getSnapshot().labels.map(l => `${l.name}:${l.color}`)).toEqual(['Abc:blue', 'Zed:green']);
    s.receive(labelEv(3, label('2', 'Abc'), 'Abc', null));
    expect(s.getSnapshot().labels.map(l => l.id)).toEqual(['1']);
    expect(s.appliedSeq).toBe(3);
  });

  it("follows the board's name from BoardRenamed, the newest version only", () => {
    const s = new BoardStore([], 0);
    const renamed = (seq: number, name: string, version: number): BoardEvent =>
      ({ boardId: 'b', seq, type: 'BoardRenamed', task: null, actorId: 'u', changes: [{ field: 'name', from: null, to: name }], at: '2026-01-01T00:00:00Z', board: { id: 'b', name, version } });
    expect(s.getSnapshot().renamed).toBeNull();
    s.receive(renamed(1, 'Roadmap 2027', 2));
    expect(s.getSnapshot().renamed).toEqual({ name: 'Roadmap 2027', version: 2 });
    s.receive(renamed(2, 'Older', 2)); // not newer than what is shown
    expect(s.getSnapshot().renamed).toEqual({ name: 'Roadmap 2027', version: 2 });
    expect(s.appliedSeq).toBe(2);
  });

  it('tells event listeners about every applied event after the snapshot shows it; moves apply at the same version', () => {
    const s = new BoardStore([task('a', { version: 3, position: 'V' })], 0);
    const seen: string[] = [];
    const off = s.onEvent(e => seen.push(`${e.type}:${s.getSnapshot().tasks.get('a')?.position}`));
    s.receive(ev(1, 'TaskMoved', task('a', { version: 3, position: 'A' })));
    s.receive(ev(2, 'CommentAdded', task('a', { version: 3, position: 'A', commentCount: 1 })));
    off();
    s.receive(ev(3, 'TaskMoved', task('a', { version: 3, position: 'B', commentCount: 1 })));
    expect(seen).toEqual(['TaskMoved:A', 'CommentAdded:A']);
    expect(s.getSnapshot().tasks.get('a')).toMatchObject({ position: 'B', commentCount: 1 });
  });
});

describe('BoardStore: column respread', () => {
  const respread = (seq: number, positions: [string, string][]): BoardEvent => ({
    boardId: 'b', seq, type: 'ColumnRespread', task: null, actorId: 'u', changes: [], at: '2026-01-01T00:00:00Z',
    column: { status: 'todo', positions: positions.map(([taskId, position]) => ({ taskId, position })) },
  });
  const order = (s: BoardStore) => columnsOf(tasksOf(s).values()).todo.map(t => t.id);

  it('gives every listed card its new position, then the moving card lands by its own TaskMoved, in the order the server has', () => {
    // a, b, c with keys worn long; m (in done) is being moved between a and b.
    const long = 'V'.repeat(199);
    const s = new BoardStore([task('a', { position: long }), task('b', { position: long + 'V' }), task('c', { position: 'W' }),
      task('m', { status: 'done', position: 'V' })], 4);
    const seen: number[] = [];
    s.subscribe(() => seen.push(s.getSnapshot().appliedSeq));
    const r = s.receiveMany([
      respread(5, [['a', '4'], ['m', '8'], ['b', 'F'], ['c', 'K']]),
      ev(6, 'TaskMoved', task('m', { status: 'todo', position: '8' })),
    ]);
    expect(order(s)).toEqual(['a', 'm', 'b', 'c']);
    expect(tasksOf(s).get('b')?.position).toBe('F');
    expect(tasksOf(s).get('c')?.version).toBe(1); // a respread is not an edit
    expect(r.applied.map(a => a.event.type)).toEqual(['TaskMoved']); // only the move is announced
    expect(s.getSnapshot().appliedSeq).toBe(6);
    expect(seen).toEqual([6]);
  });

  it('publishes a respread on its own and keeps cards it does not know out of the board', () => {
    const s = new BoardStore([task('a', { position: 'X' }), task('b', { position: 'Y' })], 1);
    const before = s.getSnapshot();
    s.receive(respread(2, [['b', '3'], ['a', '9'], ['gone', 'F']]));
    expect(s.getSnapshot()).not.toBe(before);
    expect(s.getSnapshot().tasks).not.toBe(before.tasks);
    expect(order(s)).toEqual(['b', 'a']);
    expect(tasksOf(s).has('gone')).toBe(false);
  });
});

describe('BoardStore: delta events (the hub with ?events=delta)', () => {
  const at = '2026-01-02T00:00:00Z';
  function delta(seq: number, type: string, taskId: string, over: Partial<TaskDelta> = {}): TaskDelta {
    return { boardId: 'b', seq, type, taskId, actorId: 'v', at, ...over };
  }

  it('lays the changed fields over the task it holds and keeps the rest', () => {
    const s = new BoardStore([task('a', { title: 'old', description: 'long text', version: 3 })], 1);
    const r = s.receive(delta(2, 'TaskUpdated', 'a', {
      version: 4, updatedAt: at, status: 'done', position: 'V', completedAt: at,
      changes: [{ field: 'title', to: 'new' }, { field: 'status', to: 'done' }, { field: 'labelIds', to: 'l1,l2' }],
    }));
    expect(r.needCatchUp).toBe(false);
    const t = tasksOf(s).get('a')!;
    expect(t).toMatchObject({ title: 'new', status: 'done', labelIds: ['l1', 'l2'], version: 4, updatedAt: at, completedAt: at, description: 'long text' });
    expect(s.appliedSeq).toBe(2);
    // downstream sees the full shape: the task after the change, each change with its `from`
    expect(r.applied[0]).toMatchObject({ kind: 'upsert', task: t });
    expect(r.applied[0].event.changes).toEqual([
      { field: 'title', from: 'old', to: 'new' }, { field: 'status', from: 'todo', to: 'done' }, { field: 'labelIds', from: null, to: 'l1,l2' }]);
  });

  it('gives listeners the whole event, so the timeline can show a description diff', () => {
    const s = new BoardStore([task('a', { description: 'before' })], 0);
    const seen: BoardEvent[] = [];
    s.onEvent(e => seen.push(e));
    s.receive(delta(1, 'TaskUpdated', 'a', { version: 2, changes: [{ field: 'description', to: 'after' }] }));
    expect(seen).toHaveLength(1);
    expect(seen[0].task?.id).toBe('a');
    expect(seen[0].changes).toEqual([{ field: 'description', from: 'before', to: 'after' }]);
    expect(tasksOf(s).get('a')?.updatedAt).toBe(at); // no updatedAt: it is the event's time
  });

  it('clears a title to empty and sets escalatedAt with a priority change', () => {
    const s = new BoardStore([task('a', { escalatedAt: at })], 0);
    s.receive(delta(1, 'TaskUpdated', 'a', { version: 2, escalatedAt: null, changes: [{ field: 'priority', to: 'low' }] }));
    expect(tasksOf(s).get('a')).toMatchObject({ priority: 'low', escalatedAt: null });
  });

  it('moves a card within its column without a new version (position does not bump it)', () => {
    const s = new BoardStore([task('a', { position: 'V', version: 2 })], 0);
    s.receive(delta(1, 'TaskMoved', 'a', { version: 2, status: 'todo', position: 'K', changes: [{ field: 'position', to: 'K' }] }));
    expect(tasksOf(s).get('a')?.position).toBe('K');
  });

  it('deletes by id and hands on the task it held (for "Ada deleted …")', () => {
    const s = new BoardStore([task('a', { title: 'gone' }), task('b')], 0);
    const r = s.receive(delta(1, 'TaskDeleted', 'a'));
    expect(tasksOf(s).has('a')).toBe(false);
    expect(r.applied).toMatchObject([{ kind: 'delete', id: 'a' }]);
    expect(r.applied[0].event.task?.title).toBe('gone');
  });

  it('ignores a delta older than the task it holds, and moves on', () => {
    const s = new BoardStore([task('a', { title: 'mine', version: 5 })], 0);
    const r = s.receive(delta(1, 'TaskUpdated', 'a', { version: 4, changes: [{ field: 'title', to: 'theirs' }] }));
    expect(r.applied).toEqual([]);
    expect(tasksOf(s).get('a')?.title).toBe('mine');
    expect(s.appliedSeq).toBe(1);
  });

  it('cannot apply a delta of a task it does not hold, or past a missing change: waits for the full event', () => {
    const s = new BoardStore([task('a', { version: 1 })], 0);
    const r1 = s.receive(delta(1, 'TaskUpdated', 'x', { version: 2, changes: [{ field: 'archivedAt', to: null }] })); // e.g. restored from the archive
    expect(r1.needCatchUp).toBe(true);
    expect(s.appliedSeq).toBe(0);
    const r2 = s.receive(delta(2, 'TaskUpdated', 'a', { version: 3, changes: [{ field: 'title', to: 'skips v2' }] }));
    expect(r2.needCatchUp).toBe(true);
    // the catch-up's full events replace both (and a delta arriving late never replaces a full one)
    const full1 = ev(1, 'TaskUpdated', task('x', { version: 2 }));
    const full2 = ev(2, 'TaskUpdated', task('a', { version: 3, title: 'skips v2' }));
    s.receiveMany([full1]);
    s.receive(delta(1, 'TaskUpdated', 'x', { version: 2, changes: [] }));
    const r3 = s.receiveMany([full2]);
    expect(r3.needCatchUp).toBe(false);
    expect(s.appliedSeq).toBe(2);
    expect(tasksOf(s).get('x')?.version).toBe(2);
    expect(tasksOf(s).get('a')?.title).toBe('skips v2');
  });

  it('treats a field it does not know as a delta it cannot apply', () => {
    const s = new BoardStore([task('a')], 0);
    expect(s.receive(delta(1, 'TaskUpdated', 'a', { version: 2, changes: [{ field: 'colour', to: 'red' }] })).needCatchUp).toBe(true);
    expect(tasksOf(s).get('a')?.version).toBe(1);
  });

  it('BoardFeed fetches the full event of a delta the store cannot apply, then goes on with later deltas', async () => {
    const s = new BoardStore([], 0);
    const fetch = vi.fn(async (after: number) => (after === 0 ? [ev(1, 'TaskUpdated', task('x', { version: 2, title: 'restored' }))] : []));
    const applied: Applied[] = [];
    const feed = new BoardFeed(s, fetch, a => applied.push(...a), () => {});
    feed.feed([delta(1, 'TaskUpdated', 'x', { version: 2, changes: [{ field: 'archivedAt', to: null }] }),
      delta(2, 'TaskUpdated', 'x', { version: 3, changes: [{ field: 'title', to: 'renamed' }] })]);
    await vi.waitFor(() => expect(s.appliedSeq).toBe(2));
    expect(fetch).toHaveBeenCalledWith(0);
    expect(tasksOf(s).get('x')).toMatchObject({ title: 'renamed', version: 3 });
    expect(applied.map(a => a.event.seq)).toEqual([1, 2]);
  });
});

describe('BoardStore: two connections at once (a hub handover, src/hub.ts)', () => {
  it('applies each seq once when both connections deliver the same events, interleaved and out of order', () => {
    const s = new BoardStore([task('a', { version: 1 })], 5);
    const seen: number[] = [];
    s.onEvent(e => seen.push(e.seq));
    const upd = (seq: number, version: number, title: string) => ev(seq, 'TaskUpdated', task('a', { version, title }));
    const delta = (seq: number, version: number, title: string): TaskDelta =>
      ({ boardId: 'b', seq, type: 'TaskUpdated', taskId: 'a', actorId: 'u', at: '2026-01-01T00:00:00Z', version, changes: [{ field: 'title', to: title }] });
    // old: 6, 7, 8 in full; new (joined from 6): 7 as a delta, 8 ahead of 7's arrival on it, then 9
    const applied: number[] = [];
    for (const e of [upd(6, 2, 'six'), delta(8, 4, 'eight'), upd(7, 3, 'seven'), delta(7, 3, 'seven'), upd(8, 4, 'eight'), delta(9, 5, 'nine'), upd(6, 2, 'six')]) {
      applied.push(...s.receive(e).applied.map(a => a.event.seq));
    }
    expect(applied).toEqual([6, 7, 8, 9]);
    expect(seen).toEqual([6, 7, 8, 9]);
    expect(s.appliedSeq).toBe(9);
    expect(s.hasGap).toBe(false);
    expect(tasksOf(s).get('a')).toMatchObject({ title: 'nine', version: 5 });
  });
});
