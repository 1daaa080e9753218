import { describe, expect, it } from 'vitest';
import type { BoardEvent, Comment } from '../api/types';
import { buildTimeline, describeEvent, fmtWhen, sentence } from './timeline';

const nameOf = (id: string | null) => (id ? ({ u1: 'Alice', u2: 'Bob' } as Record<string, string>)[id] ?? 'Unknown' : null);
const ev = (seq: number, type: string, changes: BoardEvent['changes'], actorId: string | null = 'u1', at = `2026-01-0${seq}T10:00:00Z`): BoardEvent =>
  ({ boardId: 'b', seq, type, task: null, actorId, changes, at });
const c = (field: string, from: string | null, to: string | null) => ({ field, from, to });
const label = (id: string) => (id === 'L1' ? 'Bug' : 'a deleted label');

describe('timeline', () => {
  it('says what a change did, in words', () => {
    expect(describeEvent(ev(1, 'TaskUpdated', [c('status', 'todo', 'in_progress')]), nameOf, label)).toEqual(['moved this to In progress']);
    expect(describeEvent(ev(1, 'TaskUpdated', [c('description', 'a', 'b'), c('assigneeId', null, 'u2')]), nameOf, label))
      .toEqual(['edited the description', 'assigned this to Bob']);
    expect(describeEvent(ev(1, 'TaskUpdated', [c('labelIds', '', 'L1')]), nameOf, label)).toEqual(['added the label “Bug”']);
    expect(describeEvent(ev(1, 'ChecklistItemChanged', [c('checked', null, 'Buy milk')]), nameOf, label)).toEqual(['ticked “Buy milk”']);
    expect(describeEvent(ev(1, 'TaskUpdated', [c('priority', 'high', 'urgent')], null), nameOf, label)).toEqual(['escalated the priority to Urgent']);
    expect(describeEvent(ev(1, 'TaskUpdated', [c('archivedAt', null, '2026-01-01T00:00:00Z')]), nameOf, label)).toEqual(['archived this']);
    const due = describeEvent(ev(1, 'TaskUpdated', [c('dueAt', null, '2025-12-05T17:00:00Z')]), nameOf, label)[0];
    expect(due).toBe(`changed the deadline to ${fmtWhen('2025-12-05T17:00:00Z')}`);
    expect(fmtWhen('2025-12-05T17:00:00')).toBe('Fri 5 Dec, 17:00'); // local time
    expect(sentence(['a', 'b', 'c'])).toBe('a, b and c');
  });

  it('interleaves comments and changes oldest first, without repeating comment events; automatic changes are marked', () => {
    const comment = { id: 'c1', taskId: 't', authorId: 'u2', body: 'hi', bodyHtml: '<p>hi</p>', mentions: [], createdAt: '2026-01-02T12:00:00Z', editedAt: null, version: 1 } as Comment;
    const items = buildTimeline([
      ev(3, 'TaskUpdated', [c('priority', 'high', 'urgent')], null),
      ev(1, 'TaskCreated', [c('title', null, 'T')]),
      ev(2, 'CommentAdded', [c('comment', null, 'hi')], 'u2', '2026-01-02T12:00:00Z'),
    ], [comment], nameOf, []);
    expect(items.map(i => (i.kind === 'comment' ? `comment:${i.comment.id}` : `${i.actor}${i.automatic ? ' (auto)' : ''} ${i.text}`))).toEqual([
      'Alice created this task', 'comment:c1', 'TaskHub (auto) escalated the priority to Urgent',
    ]);
  });
});
