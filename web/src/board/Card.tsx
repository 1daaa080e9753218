// A task card: draggable, keyboard-operable (←/→ move to the next column, ↑/↓ move within the column,
// Enter/Space opens, Delete/Backspace deletes). Shows its labels, checklist progress and comment count, and
// "Escalated" while the priority is the one the system raised (escalatedAt; a person setting it clears it).
import { memo, type KeyboardEvent } from 'react';
import type { Label, Status, Task } from '../api/types';
import { Avatar } from '../ui/Avatar';
import { fullDate, relativeDay } from '../ui/format';
import { LabelChip } from './LabelChip';
import { dueState, neighbourStatus } from './model';

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
    <article className={`card prio-${task.priority} ${flash ? 'flash' : ''}`} tabIndex={0} draggable data-task-id={task.id}
      aria-label={`${task.title}, ${task.priority} priority${task.escalatedAt ? ' (escalated automatically)' : ''}${task.dueAt ? `, ${due === 'overdue' ? 'overdue, ' : ''}due ${relativeDay(task.dueAt)} (${fullDate(task.dueAt)})` : ''}${assignee ? `, assigned to ${assignee}` : ''}` +
        `${shown.length ? `, labels ${shown.map(l => l.name).join(', ')}` : ''}${total ? `, checklist ${done} of ${total} done` : ''}` +
        `${task.commentCount ? `, ${task.commentCount} comment${task.commentCount === 1 ? '' : 's'}` : ''}` +
        `${task.attachmentCount ? `, ${task.attachmentCount} file${task.attachmentCount === 1 ? '' : 's'}` : ''}. Arrow keys move, Enter opens.`}
      onDragOver={onFiles ? e => { if (e.dataTransfer.types.includes('Files')) { e.preventDefault(); e.stopPropagation(); e.dataTransfer.dropEffect = 'copy'; } } : undefined}
      onDrop={onFiles ? e => { if (e.dataTransfer.files.length) { e.preventDefault(); e.stopPropagation(); onFiles(task, [...e.dataTransfer.files]); } } : undefined}
      onDragStart={e => { e.dataTransfer.setData('text/x-taskhub-id', task.id); e.dataTransfer.setData('text/plain', task.id); e.dataTransfer.effectAllowed = 'move'; }}
      onClick={() => onOpen(task)} onKeyDown={onKey}>
      {shown.length > 0 && <div className="card-labels">{shown.map(l => <LabelChip key={l.id} label={l} small />)}</div>}
      <div className="card-title">{task.title}</div>
      <div className="card-meta">
        <span className={`prio prio-${task.priority}`}><span className="prio-bar" aria-hidden="true" />{task.priority}</span>
        {task.escalatedAt && <span className="chip escalated" data-testid="escalated" role="img"
          aria-label={`Escalated: TaskHub raised the priority to ${task.priority} on ${fullDate(task.escalatedAt)}`}
          title={`Escalated automatically on ${fullDate(task.escalatedAt)} as the deadline neared`}>⤴ Escalated</span>}
        {task.dueAt && <time className={`chip due-${due}`} dateTime={task.dueAt} title={`Due ${fullDate(task.dueAt)}`} data-testid="due">{due === 'overdue' ? 'Overdue · ' : ''}{relativeDay(task.dueAt)}</time>}
        {total > 0 && <span className={`chip checklist-progress ${done === total ? 'complete' : ''}`} data-testid="checklist-progress"
          role="img" aria-label={`Checklist: ${done} of ${total} done`} title={`Checklist: ${done} of ${total} done`}>☑ {done}/{total}</span>}
        {task.commentCount > 0 && <span className="chip comment-count" data-testid="comment-count"
          role="img" aria-label={`${task.commentCount} comment${task.commentCount === 1 ? '' : 's'}`} title={`${task.commentCount} comments`}>💬 {task.commentCount}</span>}
        {task.attachmentCount > 0 && <span className="chip attachment-count" data-testid="attachment-count"
          role="img" aria-label={`${task.attachmentCount} file${task.attachmentCount === 1 ? '' : 's'}`} title={`${task.attachmentCount} files`}>📎 {task.attachmentCount}</span>}
        <span className="card-people">
          {supervisor && <Avatar name={supervisor} id={task.supervisorId} size={20} title={`Supervisor: ${supervisor}`} />}
          {assignee && <Avatar name={assignee} id={task.assigneeId} size={22} title={`Assignee: ${assignee}`} />}
        </span>
      </div>
    </article>
  );
});
