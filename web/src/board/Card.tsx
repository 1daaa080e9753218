// A task card: draggable (mouse: HTML5 drag-and-drop; touch and pen: touchDrag.ts), keyboard-operable (←/→ move to the next column, ↑/↓ move within the column,
// Enter/Space opens, Delete/Backspace deletes). Shows its labels, checklist progress and comment count, and
// "Escalated" while the priority is the one the system raised (escalatedAt; a person setting it clears it).
import { memo, useRef, type KeyboardEvent } from 'react';
import { CircleCheck, ListChecks, MessageSquare, Paperclip, TrendingUp } from 'lucide-react';
import type { Label, Status, Task } from '../api/types';
import { Avatar } from '../ui/Avatar';
import { fullDate, relativeDay } from '../ui/format';
import { LabelChip } from './LabelChip';
import { PRIORITY_LABEL, dueState, neighbourStatus, peopleOf } from './model';
import { startTouchDrag, touchDragActive } from './touchDrag';

interface Props {
  task: Task; flash: boolean; assignee: string | null; supervisor: string | null; labels: ReadonlyMap<string, Label>;
  onPlace: (id: string, s: Status, slot: number) => void; onStep: (id: string, dir: -1 | 1) => void;
  onOpen: (t: Task) => void; onDelete: (t: Task) => void;
  /** Files dropped onto the card (opens its dialog, which uploads them); absent for viewers. */
  onFiles?: (t: Task, files: File[]) => void;
}

/** After a keyboard move the card may re-mount (another column) or scroll: keep the focus on it. */
function refocus(id: string) {
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const el = document.querySelector(`[data-task-id="${id}"]`) as HTMLElement | null;
    el?.focus();
    el?.scrollIntoView({ block: 'nearest' });
  }));
}

export const Card = memo(function Card({ task, flash, assignee, supervisor, labels, onPlace, onStep, onOpen, onDelete, onFiles }: Props) {
  const due = dueState(task);
  const isDone = task.status === 'done';
  const people = peopleOf(task, assignee, supervisor);
  // a touch drag outlives the card's element (the column may window it away while scrolling): it ends with the finger
  const cancelTouch = useRef<(() => void) | null>(null);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      const to = neighbourStatus(task.status, e.key === 'ArrowLeft' ? -1 : 1);
      if (to) { onPlace(task.id, to, 0); refocus(task.id); }
    } else if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
      e.preventDefault();
      onStep(task.id, e.key === 'ArrowUp' ? -1 : 1);
      refocus(task.id);
    } else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen(task); }
    else if (e.key === 'Delete' || e.key === 'Backspace') { e.preventDefault(); onDelete(task); }
  };
  const shown = task.labelIds.map(id => labels.get(id)).filter((l): l is Label => !!l);
  const { done, total } = task.checklist;
  return (
    <article className={`card prio-${task.priority} ${isDone ? 'is-done' : ''} ${flash ? 'flash' : ''}`} tabIndex={0} draggable data-task-id={task.id}
      aria-label={`${task.title}${isDone ? ' (done)' : ''}, ${PRIORITY_LABEL[task.priority]} priority${task.escalatedAt ? ' (escalated automatically)' : ''}${task.dueAt ? `, ${due === 'overdue' ? 'overdue, ' : ''}due ${relativeDay(task.dueAt)} (${fullDate(task.dueAt)})` : ''}${people.map(p => `, ${p.label}`).join('')}` +
        `${shown.length ? `, labels ${shown.map(l => l.name).join(', ')}` : ''}${total ? `, checklist ${done} of ${total} done` : ''}` +
        `${task.commentCount ? `, ${task.commentCount} comment${task.commentCount === 1 ? '' : 's'}` : ''}` +
        `${task.attachmentCount ? `, ${task.attachmentCount} file${task.attachmentCount === 1 ? '' : 's'}` : ''}. Arrow keys move, Enter opens.`}
      onDragOver={onFiles ? e => { if (e.dataTransfer.types.includes('Files')) { e.preventDefault(); e.stopPropagation(); e.dataTransfer.dropEffect = 'copy'; } } : undefined}
      onDrop={onFiles ? e => { if (e.dataTransfer.files.length) { e.preventDefault(); e.stopPropagation(); onFiles(task, [...e.dataTransfer.files]); } } : undefined}
      onPointerDown={e => {
        if (e.pointerType === 'mouse' || !e.isPrimary) return; // the mouse has HTML5 drag-and-drop
        cancelTouch.current?.();
        cancelTouch.current = startTouchDrag(e.nativeEvent, task.id, e.currentTarget, () => { cancelTouch.current = null; });
      }}
      onDragStart={e => { if (touchDragActive()) { e.preventDefault(); return; } e.dataTransfer.setData('text/x-taskhub-id', task.id); e.dataTransfer.setData('text/plain', task.id); e.dataTransfer.effectAllowed = 'move'; }}
      onClick={() => { if (!touchDragActive()) onOpen(task); }} onKeyDown={onKey}>
      {shown.length > 0 && <div className="card-labels">{shown.map(l => <LabelChip key={l.id} label={l} small />)}</div>}
      <div className="card-title">{isDone && <CircleCheck className="done-check" size={15} aria-hidden="true" />}{task.title}</div>
      <div className="card-meta">
        <span className={`prio prio-${task.priority}`}><span className="prio-bar" aria-hidden="true" />{PRIORITY_LABEL[task.priority]}</span>
        {task.escalatedAt && <span className="chip escalated" data-testid="escalated" role="img"
          aria-label={`Escalated: TaskHub raised the priority to ${PRIORITY_LABEL[task.priority]} on ${fullDate(task.escalatedAt)}`}
          title={`Escalated automatically on ${fullDate(task.escalatedAt)} as the deadline neared`}><TrendingUp size={12} aria-hidden="true" />Escalated</span>}
        {task.dueAt && <time className={`chip due-${due}`} dateTime={task.dueAt} title={`Due ${fullDate(task.dueAt)}`} data-testid="due">{due === 'overdue' ? 'Overdue · ' : ''}{relativeDay(task.dueAt)}</time>}
        {total > 0 && <span className={`chip checklist-progress ${done === total ? 'complete' : ''}`} data-testid="checklist-progress"
          role="img" aria-label={`Checklist: ${done} of ${total} done`} title={`Checklist: ${done} of ${total} done`}><ListChecks size={12} aria-hidden="true" />{done}/{total}</span>}
        {task.commentCount > 0 && <span className="chip comment-count" data-testid="comment-count"
          role="img" aria-label={`${task.commentCount} comment${task.commentCount === 1 ? '' : 's'}`} title={`${task.commentCount} comments`}><MessageSquare size={12} aria-hidden="true" />{task.commentCount}</span>}
        {task.attachmentCount > 0 && <span className="chip attachment-count" data-testid="attachment-count"
          role="img" aria-label={`${task.attachmentCount} file${task.attachmentCount === 1 ? '' : 's'}`} title={`${task.attachmentCount} files`}><Paperclip size={12} aria-hidden="true" />{task.attachmentCount}</span>}
        <span className="card-people">
          {people.map(p => <Avatar key={p.role} name={p.name} id={p.id} size={p.role === 'supervisor' ? 20 : 22} title={p.title} />)}
        </span>
      </div>
    </article>
  );
});
