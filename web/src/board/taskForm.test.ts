import { describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { changedFields, formOf, merge, toTaskFields } from './taskForm';

function task(over: Partial<Task> = {}): Task {
  return {
    id: 'a', boardId: 'b', title: 'Title', description: 'Desc', status: 'todo', priority: 'medium', dueAt: null,
    assigneeId: null, supervisorId: null, createdById: 'u', createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z', completedAt: null, version: 1,
    position: 'V', labelIds: [], checklist: { done: 0, total: 0 }, commentCount: 0, attachmentCount: 0, archivedAt: null, escalatedAt: null, ...over,
  };
}

describe('task form merge', () => {
  const base = formOf(task());

  it('re-applies fields only I changed and takes fields only they changed', () => {
    const mine = { ...base, title: 'My title' };
    const theirs = formOf(task({ description: 'Their description', status: 'done', version: 2 }));
    const r = merge(base, mine, theirs);
    expect(r.conflicts).toEqual([]);
    expect(r.form).toMatchObject({ title: 'My title', description: 'Their description', status: 'done' });
    expect(r.theirs).toEqual(['description', 'status']);
    // what the re-save sends: only my field
    expect(changedFields(theirs, r.form)).toEqual({ title: 'My title' });
  });

  it('reports a field both changed (to different values) as a conflict and keeps mine in the form', () => {
    const mine = { ...base, title: 'Mine', priority: 'high' };
    const theirs = formOf(task({ title: 'Theirs', priority: 'high' }));
    const r = merge(base, mine, theirs);
    expect(r.conflicts).toEqual([{ field: 'title', mine: 'Mine', theirs: 'Theirs' }]); // same priority: no conflict
    expect(r.form.title).toBe('Mine');
  });

  it('compares labels as sets and text ignoring surrounding spaces', () => {
    expect(formOf(task({ labelIds: ['z', 'a'] })).labels).toBe('a,z');
    const mine = { ...base, title: 'Title  ' };
    expect(merge(base, mine, formOf(task({ title: 'Other' }))).conflicts).toEqual([]);
    expect(toTaskFields({ labels: 'a,z', description: '  ', assignee: '' })).toEqual({ labelIds: ['a', 'z'], description: null, assigneeId: null });
    expect(toTaskFields({ labels: '' })).toEqual({ labelIds: [] });
  });

  it('a form nobody changed follows the server', () => {
    const theirs = formOf(task({ title: 'New', assigneeId: 'u2' }));
    expect(merge(base, base, theirs).form).toEqual(theirs);
  });
});
