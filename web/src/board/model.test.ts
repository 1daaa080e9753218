import { describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { columnsOf, dueState, filterOf, neighbourStatus, visibleRange } from './model';

function task(id: string, over: Partial<Task> = {}): Task {
  return {
    id, boardId: 'b', title: id, description: null, status: 'todo', priority: 'medium', dueAt: null,
    assigneeId: null, supervisorId: null, createdById: 'u', createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z', completedAt: null, version: 1,
    position: 'V', labelIds: [], checklist: { done: 0, total: 0 }, commentCount: 0, attachmentCount: 0, archivedAt: null, ...over,
  };
}

describe('board model', () => {
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

  it('computes visible ranges and neighbours', () => {
    expect(visibleRange(5000, 100, 0, 600, 2)).toEqual([0, 8]);
    expect(visibleRange(5000, 100, 10000, 600, 2)).toEqual([98, 108]);
    expect(visibleRange(3, 100, 0, 600)).toEqual([0, 3]);
    expect(neighbourStatus('todo', 1)).toBe('in_progress');
    expect(neighbourStatus('todo', -1)).toBeNull();
    expect(neighbourStatus('done', 1)).toBeNull();
  });

  it('filters by assignee, priority and deadline', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(filterOf({ assignee: '', priority: '', due: '' })).toBeUndefined();
    const tasks = [task('a', { assigneeId: 'u1', priority: 'high' }), task('b'), task('c', { dueAt: '2026-05-01T00:00:00Z' })];
    expect(tasks.filter(filterOf({ assignee: 'u1', priority: '', due: '' }, now)!).map(t => t.id)).toEqual(['a']);
    expect(tasks.filter(filterOf({ assignee: 'none', priority: '', due: '' }, now)!).map(t => t.id)).toEqual(['b', 'c']);
    expect(tasks.filter(filterOf({ assignee: '', priority: 'high', due: '' }, now)!).map(t => t.id)).toEqual(['a']);
    expect(tasks.filter(filterOf({ assignee: '', priority: '', due: 'overdue' }, now)!).map(t => t.id)).toEqual(['c']);
    expect(tasks.filter(filterOf({ assignee: '', priority: '', due: 'none' }, now)!).map(t => t.id)).toEqual(['a', 'b']);
  });
});
