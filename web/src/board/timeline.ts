// The task's one timeline: its board events (changes, in words) and its comments, oldest first. Pure; unit-tested
// (timeline.test.ts).
import type { BoardEvent, Comment, Label, Priority, Status } from '../api/types';
import { PRIORITY_LABEL, STATUS_LABEL } from './model';
import type { NameOf } from './names';

/** "Fri 5 Dec, 17:00" in the browser's time zone. */
export function fmtWhen(iso: string): string {
  const d = new Date(iso);
  const day = d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short' }).replace(',', '');
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return `${day}, ${time}`;
}

const q = (s: string | null) => `“${s ?? ''}”`;

/** What one event did, as phrases without the actor ("moved this to In progress", "edited the description"). */
export function describeEvent(e: BoardEvent, nameOf: NameOf, labelName: (id: string) => string): string[] {
  const out: string[] = [];
  const auto = e.actorId === null;
  if (e.type === 'TaskCreated') return ['created this task'];
  if (e.type === 'CommentAdded') return ['commented'];
  if (e.type === 'CommentEdited') return ['edited a comment'];
  if (e.type === 'CommentDeleted') return ['deleted a comment'];
  const statusChanged = e.changes.some(c => c.field === 'status');
  for (const c of e.changes) {
    switch (c.field) {
      case 'title': out.push(`renamed this to ${q(c.to)}`); break;
      case 'description': out.push(c.to ? (c.from ? 'edited the description' : 'added a description') : 'removed the description'); break;
      case 'status': out.push(`moved this to ${STATUS_LABEL[c.to as Status] ?? c.to}`); break;
      case 'position': if (!statusChanged) out.push(`moved this within ${e.task ? STATUS_LABEL[e.task.status] : 'its column'}`); break;
      case 'priority': out.push(`${auto ? 'escalated' : 'changed'} the priority to ${PRIORITY_LABEL[c.to as Priority] ?? c.to}`); break;
      case 'dueAt': out.push(c.to ? `changed the deadline to ${fmtWhen(c.to)}` : 'removed the deadline'); break;
      case 'assigneeId': out.push(c.to ? `assigned this to ${nameOf(c.to)}` : 'unassigned this'); break;
      case 'supervisorId': out.push(c.to ? `made ${nameOf(c.to)} the supervisor` : 'removed the supervisor'); break;
      case 'labelIds': {
        const from = new Set((c.from ?? '').split(',').filter(Boolean));
        const to = new Set((c.to ?? '').split(',').filter(Boolean));
        const added = [...to].filter(x => !from.has(x)).map(labelName);
        const removed = [...from].filter(x => !to.has(x)).map(labelName);
        if (added.length) out.push(`added the label${added.length > 1 ? 's' : ''} ${added.map(q).join(', ')}`);
        if (removed.length) out.push(`removed the label${removed.length > 1 ? 's' : ''} ${removed.map(q).join(', ')}`);
        break;
      }
      case 'archivedAt': out.push(c.to ? 'archived this' : 'restored this'); break;
      case 'checklist': out.push(c.to !== null ? `added ${q(c.to)} to the checklist` : `removed ${q(c.from)} from the checklist`); break;
      case 'checked': out.push(`ticked ${q(c.to)}`); break;
      case 'unchecked': out.push(`unticked ${q(c.to)}`); break;
      case 'checklistText': out.push(`renamed the checklist item ${q(c.from)} to ${q(c.to)}`); break;
      case 'checklistOrder': out.push(`moved ${q(c.to)} in the checklist`); break;
      case 'attachment': out.push(c.to !== null ? `attached ${q(c.to)}` : `removed the file ${q(c.from)}`); break;
      case 'comment': break;
      case 'label': break;
      default: out.push(`changed the ${c.field}`);
    }
  }
  if (!out.length) out.push('updated this');
  return out;
}

/** One sentence: "Alice moved this to In progress and changed the deadline to Fri 5 Dec, 17:00". */
export function sentence(phrases: string[]): string {
  return phrases.length <= 1 ? phrases[0] ?? '' : `${phrases.slice(0, -1).join(', ')} and ${phrases[phrases.length - 1]}`;
}

export type TimelineItem =
  | { kind: 'comment'; at: string; comment: Comment }
  | { kind: 'change'; at: string; event: BoardEvent; actor: string; automatic: boolean; text: string;
      /** An edit of an existing description: both versions, for the "Show changes" diff. */
      description?: { from: string; to: string } };

/**
 * Comments (as they are now) and the other events (in words), oldest first. A comment's own CommentAdded/Edited/
 * Deleted events are not repeated: the comment shows (with its "edited" marker), a deleted one is gone.
 */
export function buildTimeline(events: readonly BoardEvent[], comments: readonly Comment[], nameOf: NameOf, labels: readonly Label[]): TimelineItem[] {
  const labelName = (id: string) => labels.find(l => l.id === id)?.name ?? 'a deleted label';
  const items: TimelineItem[] = comments.map(c => ({ kind: 'comment', at: c.createdAt, comment: c }));
  const seen = new Set<number>();
  for (const e of events) {
    // A column respread is the board's bookkeeping, not something anyone did to this task.
    if (e.type.startsWith('Comment') || e.type === 'ColumnRespread' || seen.has(e.seq)) continue;
    seen.add(e.seq);
    const automatic = e.actorId === null;
    const edit = e.changes.find(c => c.field === 'description' && c.from && c.to);
    items.push({ kind: 'change', at: e.at, event: e, automatic, actor: automatic ? 'TaskHub' : nameOf(e.actorId) ?? 'Someone',
      text: sentence(describeEvent(e, nameOf, labelName)), ...(edit ? { description: { from: edit.from!, to: edit.to! } } : {}) });
  }
  return items.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.kind === 'change' && b.kind === 'change' ? a.event.seq - b.event.seq : 0));
}
