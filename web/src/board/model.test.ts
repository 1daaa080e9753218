import { describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { NO_FILTERS, columnsOf, compareTasks, dueState, filterOf, neighbourStatus, peopleOf, placement, positionBetween, PRIORITIES, PRIORITY_LABEL, slotAtY, stackLayout, stepSlot, visibleRows } from './model';
import { task } from '../test/fixtures';


describe('board model', () => {
  it('groups columns and orders each by position, byte-wise, ties by id; archived tasks are left out', () => {
    const cols = columnsOf([
      task('a', { priority: 'urgent', position: 'b' }), task('b', { priority: 'low', position: 'B' }), task('c', { status: 'done' }),
      task('e', { position: 'V' }), task('d', { position: 'V' }), task('x', { archivedAt: '2026-01-02T00:00:00Z' }),
    ]);
    // 'B' < 'V' < 'b' in byte order (localeCompare would put 'b' before 'V')
    expect(cols.todo.map(t => t.id)).toEqual(['b', 'd', 'e', 'a']);
    expect(cols.done.map(t => t.id)).toEqual(['c']);
    expect(cols.in_progress).toEqual([]);
    expect(compareTasks({ id: 'a', position: 'Z' }, { id: 'b', position: 'a' })).toBeLessThan(0);
  });

  it('makes a position strictly between two others, like the server', () => {
    expect(positionBetween(null, null)).toBe('V');
    expect(positionBetween('V', null)).toBe('W');
    expect(positionBetween('V3x', null)).toBe('W');
    expect(positionBetween('z', null)).toBe('z1');
    expect(positionBetween('zV3z', null)).toBe('zV41');
    expect(positionBetween('zz', null)).toBe('zz01');
    // a column that only grows at the bottom keeps short keys (the length grows with the log of the count)
    let last = 'V';
    for (let i = 0; i < 20000; i++) {
      const next = positionBetween(last, null);
      expect(next > last).toBe(true);
      last = next;
    }
    expect(last.length).toBeLessThanOrEqual(8);
    expect(positionBetween(null, 'V')).toBe('U');
    expect(positionBetween(null, '1V')).toBe('1U');
    expect(positionBetween('V', 'W')).toBe('VV');
    expect(positionBetween('A', 'a')).toBe('N'); // digits 10 and 36: the midpoint 23
    const keys = ['0V', '1', 'U', 'UV', 'V', 'V0V', 'VV', 'z', 'zz'];
    for (let i = 0; i + 1 < keys.length; i++) {
      const k = positionBetween(keys[i], keys[i + 1]);
      expect(k > keys[i] && k < keys[i + 1]).toBe(true);
    }
    expect(() => positionBetween('W', 'V')).toThrow();
    // many inserts into the same gap stay ordered
    let lo = 'V', hi = 'W';
    for (let i = 0; i < 50; i++) { const m = positionBetween(lo, hi); expect(m > lo && m < hi).toBe(true); if (i % 2) lo = m; else hi = m; }
  });

  it('places a dropped card after the card shown above the slot', () => {
    const all = [task('a', { position: 'A' }), task('b', { position: 'B' }), task('c', { position: 'C' }), task('d', { position: 'D' })];
    expect(placement(all, all, 0)).toEqual({ afterId: null, position: '9' });
    expect(placement(all, all, 2)).toEqual({ afterId: 'b', position: 'BV' });
    expect(placement(all, all, 4)).toEqual({ afterId: 'd', position: 'E' });
    expect(placement([], [], 0)).toEqual({ afterId: null, position: 'V' });
    // filtered: b and c hidden; slot 1 is after a, and the key lies between a and b (the next in the full column)
    const shown = [all[0], all[3]];
    const p = placement(all, shown, 1);
    expect(p.afterId).toBe('a');
    expect(p.position > 'A' && p.position < 'B').toBe(true);
    // the temporary key sorts the card where it was dropped
    const moved = task('m', { position: placement(all, all, 2).position });
    expect([...all, moved].sort(compareTasks).map(t => t.id)).toEqual(['a', 'b', 'm', 'c', 'd']);
  });

  it('steps a card up and down its column', () => {
    const col = [task('a'), task('b'), task('c')];
    expect(stepSlot(col, 'a', -1)).toBeNull();
    expect(stepSlot(col, 'b', -1)).toBe(0); // before a
    expect(stepSlot(col, 'b', 1)).toBe(2); // after c
    expect(stepSlot(col, 'c', 1)).toBeNull();
    const without = (id: string) => col.filter(t => t.id !== id);
    expect(placement(without('b'), without('b'), stepSlot(col, 'b', -1)!).afterId).toBeNull();
    expect(placement(without('b'), without('b'), stepSlot(col, 'b', 1)!).afterId).toBe('c');
    expect(placement(without('a'), without('a'), stepSlot(col, 'a', 1)!).afterId).toBe('b');
  });

  it('classifies deadlines', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(dueState({ dueAt: '2026-06-01T11:00:00Z', status: 'todo' }, now)).toBe('overdue');
    expect(dueState({ dueAt: '2026-06-02T11:00:00Z', status: 'todo' }, now)).toBe('soon');
    expect(dueState({ dueAt: '2026-06-10T11:00:00Z', status: 'todo' }, now)).toBe('later');
    expect(dueState({ dueAt: '2026-06-01T11:00:00Z', status: 'done' }, now)).toBe('later');
    expect(dueState({ dueAt: null, status: 'todo' }, now)).toBeNull();
  });

  it('computes visible ranges and neighbours', () => {
    const even = stackLayout(new Array(5000).fill(100));
    expect(visibleRows(even.tops, even.total, 0, 600, 2)).toEqual([0, 8]);
    expect(visibleRows(even.tops, even.total, 10000, 600, 2)).toEqual([98, 108]);
    const three = stackLayout([100, 100, 100]);
    expect(visibleRows(three.tops, three.total, 0, 600)).toEqual([0, 3]);
    expect(visibleRows([], 0, 0, 600)).toEqual([0, 0]);
    expect(neighbourStatus('todo', 1)).toBe('in_progress');
    expect(neighbourStatus('todo', -1)).toBeNull();
    expect(neighbourStatus('done', 1)).toBeNull();
  });

  it('lays out rows of different heights: tall cards push the next ones down and windowing follows', () => {
    const { tops, total } = stackLayout([100, 300, 100, 100]);
    expect(tops).toEqual([0, 100, 400, 500]);
    expect(total).toBe(600);
    // a viewport over the tall row only shows it (no overscan), and the rows after it once scrolled past
    expect(visibleRows(tops, total, 150, 200, 0)).toEqual([1, 2]);
    expect(visibleRows(tops, total, 420, 100, 0)).toEqual([2, 4]);
    // drop slots: above a row's middle goes before it, below after it
    expect(slotAtY(tops, total, 10)).toBe(0);
    expect(slotAtY(tops, total, 120)).toBe(1);
    expect(slotAtY(tops, total, 240)).toBe(1); // still in the upper half of the 300 px card
    expect(slotAtY(tops, total, 260)).toBe(2);
    expect(slotAtY(tops, total, 590)).toBe(4);
    expect(slotAtY(tops, total, 5000)).toBe(4);
    expect(slotAtY([], 0, 50)).toBe(0);
  });

  it('shows one avatar naming both roles when the assignee is also the supervisor', () => {
    const both = peopleOf({ assigneeId: 'u1', supervisorId: 'u1' }, 'Ada', 'Ada');
    expect(both).toHaveLength(1);
    expect(both[0].title).toBe('Assignee and supervisor: Ada');
    expect(both[0].label).toBe('assigned to and supervised by Ada');
    const two = peopleOf({ assigneeId: 'u1', supervisorId: 'u2' }, 'Ada', 'Bob');
    expect(two.map(p => p.title)).toEqual(['Supervisor: Bob', 'Assignee: Ada']);
    expect(peopleOf({ assigneeId: null, supervisorId: null }, null, null)).toEqual([]);
  });

  it('writes every priority capitalised', () => {
    for (const p of PRIORITIES) expect(PRIORITY_LABEL[p]).toMatch(/^[A-Z][a-z]+$/);
  });

  it('filters by assignee, priority and deadline', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(filterOf({ assignee: '', priority: '', due: '', label: '' })).toBeUndefined();
    const tasks = [task('a', { assigneeId: 'u1', priority: 'high' }), task('b'), task('c', { dueAt: '2026-05-01T00:00:00Z' })];
    expect(tasks.filter(filterOf({ assignee: 'u1', priority: '', due: '', label: '' }, now)!).map(t => t.id)).toEqual(['a']);
    expect(tasks.filter(filterOf({ assignee: 'none', priority: '', due: '', label: '' }, now)!).map(t => t.id)).toEqual(['b', 'c']);
    expect(tasks.filter(filterOf({ assignee: '', priority: 'high', due: '', label: '' }, now)!).map(t => t.id)).toEqual(['a']);
    expect(tasks.filter(filterOf({ assignee: '', priority: '', due: 'overdue', label: '' }, now)!).map(t => t.id)).toEqual(['c']);
    expect(tasks.filter(filterOf({ assignee: '', priority: '', due: 'none', label: '' }, now)!).map(t => t.id)).toEqual(['a', 'b']);
    const labelled = [task('a', { labelIds: ['L1', 'L2'] }), task('b', { labelIds: ['L2'] }), task('c')];
    expect(labelled.filter(filterOf({ ...NO_FILTERS, label: 'L1' }, now)!).map(t => t.id)).toEqual(['a']);
    expect(labelled.filter(filterOf({ ...NO_FILTERS, label: 'L2' }, now)!).map(t => t.id)).toEqual(['a', 'b']);
    expect(labelled.filter(filterOf({ ...NO_FILTERS, label: 'none' }, now)!).map(t => t.id)).toEqual(['c']);
  });
});
