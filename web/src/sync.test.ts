import { describe, expect, it } from 'vitest';
import { BoardSync, columnsOf, dueState, initials, localInputToUtc, neighbourStatus, utcToLocalInput, visibleRange, type BoardEvent, type Task } from './sync';

function task(id: string, over: Partial<Task> = {}): Task {
  return {
    id, boardId: 'b', title: id, description: null, status: 'todo', priority: 'medium', dueAt: null,
    assigneeId: null, supervisorId: null, createdById: 'u', createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z', completedAt: null, version: 1, ...over,
  };
}
function ev(seq: number, type: string, t: Task): BoardEvent {
  return { boardId: 'b', seq, type, task: t, actorId: 'u', changes: [], at: '2026-01-01T00:00:00Z' };
}

describe('BoardSync', () => {
  it('applies events in order and advances the seq', () => {
    const s = new BoardSync([], 5);
    const r = s.receive(ev(6, 'TaskCreated', task('a')));
    expect(r.applied).toHaveLength(1);
    expect(r.needCatchUp).toBe(false);
    expect(s.appliedSeq).toBe(6);
    expect(s.tasks.get('a')?.title).toBe('a');
  });

  it('ignores events at or below the applied seq', () => {
    const s = new BoardSync([task('a')], 10);
    const r = s.receive(ev(10, 'TaskDeleted', task('a')));
    expect(r.applied).toHaveLength(0);
    expect(s.tasks.has('a')).toBe(true);
  });

  it('detects a gap, buffers, and fills it from a catch-up', () => {
    const s = new BoardSync([], 1);
    const r1 = s.receive(ev(3, 'TaskCreated', task('c')));
    expect(r1.needCatchUp).toBe(true);
    expect(s.appliedSeq).toBe(1);
    expect(s.tasks.has('c')).toBe(false);
    const r2 = s.receiveMany([ev(2, 'TaskCreated', task('b')), ev(3, 'TaskCreated', task('c'))]);
    expect(r2.needCatchUp).toBe(false);
    expect(r2.applied.map(a => a.event.seq)).toEqual([2, 3]);
    expect(s.appliedSeq).toBe(3);
  });

  it('never replaces a newer local version with an older event', () => {
    const s = new BoardSync([task('a', { version: 5, title: 'new' })], 0);
    s.receive(ev(1, 'TaskUpdated', task('a', { version: 4, title: 'old' })));
    expect(s.tasks.get('a')?.title).toBe('new');
    expect(s.appliedSeq).toBe(1);
    s.receive(ev(2, 'TaskUpdated', task('a', { version: 5, title: 'same' })));
    expect(s.tasks.get('a')?.title).toBe('same');
  });

  it('deletes and does not resurrect on a late update', () => {
    const s = new BoardSync([task('a')], 0);
    s.receive(ev(1, 'TaskDeleted', task('a')));
    expect(s.tasks.has('a')).toBe(false);
    expect(s.put(task('a', { version: 9 }))).toBe(true); // a local put is explicit
  });

  it('reports a head beyond the applied seq', () => {
    const s = new BoardSync([], 4);
    expect(s.head(4)).toBe(false);
    expect(s.head(7)).toBe(true);
  });

  it('put keeps the newer version unless forced', () => {
    const s = new BoardSync([task('a', { version: 3 })], 0);
    expect(s.put(task('a', { version: 2 }))).toBe(false);
    expect(s.put(task('a', { version: 2 }), true)).toBe(true);
    expect(s.tasks.get('a')?.version).toBe(2);
  });
});

describe('helpers', () => {
  it('groups and sorts columns by priority', () => {
    const cols = columnsOf([task('a', { priority: 'low' }), task('b', { priority: 'urgent' }), task('c', { status: 'done' })]);
    expect(cols.todo.map(t => t.id)).toEqual(['b', 'a']);
    expect(cols.done.map(t => t.id)).toEqual(['c']);
    expect(cols.in_progress).toEqual([]);
  });

  it('classifies deadlines', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(dueState({ dueAt: '2026-06-01T11:00:00Z', status: 'todo' }, now)).toBe('overdue');
    expect(dueState({ dueAt: '2026-06-02T11:00:00Z', status: 'todo' }, now)).toBe('soon');
    expect(dueState({ dueAt: '2026-06-10T11:00:00Z', status: 'todo' }, now)).toBe('later');
    expect(dueState({ dueAt: '2026-06-01T11:00:00Z', status: 'done' }, now)).toBe('later');
    expect(dueState({ dueAt: null, status: 'todo' }, now)).toBeNull();
  });

  it('round-trips local datetime input and UTC', () => {
    const iso = localInputToUtc('2026-03-04T05:06');
    expect(iso).toMatch(/Z$/);
    expect(utcToLocalInput(iso)).toBe('2026-03-04T05:06');
    expect(localInputToUtc('')).toBeNull();
  });

  it('computes initials, visible ranges and neighbours', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('bob')).toBe('B');
    expect(initials('')).toBe('?');
    expect(visibleRange(5000, 100, 0, 600, 2)).toEqual([0, 8]);
    expect(visibleRange(5000, 100, 10000, 600, 2)).toEqual([98, 108]);
    expect(visibleRange(3, 100, 0, 600)).toEqual([0, 3]);
    expect(neighbourStatus('todo', 1)).toBe('in_progress');
    expect(neighbourStatus('todo', -1)).toBeNull();
    expect(neighbourStatus('done', 1)).toBeNull();
  });
});
