// A task card: draggable, keyboard-operable (←/→ move, Enter/Space opens, Delete/Backspace deletes).
import { memo, type KeyboardEvent } from 'react';
import type { Status, Task } from '../api/types';
import { Avatar } from '../ui/Avatar';
import { fmtDate } from '../ui/format';
import { dueState, neighbourStatus } from './model';

interface Props {
  task: Task; flash: boolean; assignee: string | null; supervisor: string | null;
  onMove: (id: string, s: Status) => void; onOpen: (t: Task) => void; onDelete: (t: Task) => void;
}

export const Card = memo(function Card({ task, flash, assignee, supervisor, onMove, onOpen, onDelete }: Props) {
  const due = dueState(task);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      const to = neighbourStatus(task.status, e.key === 'ArrowLeft' ? -1 : 1);
      if (to) {
        onMove(task.id, to);
        // the card re-mounts in its new column: keep the focus on it
        requestAnimationFrame(() => requestAnimationFrame(() => (document.querySelector(`[data-task-id="${task.id}"]`) as HTMLElement | null)?.focus()));
      }
    } else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen(task); }
    else if (e.key === 'Delete' || e.key === 'Backspace') { e.preventDefault(); onDelete(task); }
  };
  return (
    <article className={`card prio-${task.priority} ${flash ? 'flash' : ''}`} tabIndex={0} draggable data-task-id={task.id}
      aria-label={`${task.title}, ${task.priority} priority${task.dueAt ? `, due ${fmtDate(task.dueAt)}` : ''}${assignee ? `, assigned to ${assignee}` : ''}. Arrow keys move, Enter opens.`}
      onDragStart={e => { e.dataTransfer.setData('text/x-taskhub-id', task.id); e.dataTransfer.setData('text/plain', task.id); e.dataTransfer.effectAllowed = 'move'; }}
      onClick={() => onOpen(task)} onKeyDown={onKey}>
      <div className="card-title">{task.title}</div>
      <div className="card-meta">
        <span className={`prio prio-${task.priority}`}><span className="prio-bar" aria-hidden="true" />{task.priority}</span>
        {task.dueAt && <span className={`chip due-${due}`} title={new Date(task.dueAt).toLocaleString()}>{due === 'overdue' ? 'Overdue · ' : ''}{fmtDate(task.dueAt)}</span>}
        <span className="card-people">
          {supervisor && <Avatar name={supervisor} id={task.supervisorId} size={20} title={`Supervisor: ${supervisor}`} />}
          {assignee && <Avatar name={assignee} id={task.assigneeId} size={22} title={`Assignee: ${assignee}`} />}
        </span>
      </div>
    </article>
  );
});
