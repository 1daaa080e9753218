// Tasks assigned to me, across boards; a row opens the task on its board (`?task=`).
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Task } from '../api/types';
import { PRIORITY_LABEL, STATUS_LABEL, dueState } from '../board/model';
import { fullDate, relativeDay } from '../ui/format';
import { Link } from '../ui/router';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';

export function MyTasksPage() {
  const toasts = useToasts();
  const [tasks, setTasks] = useState<Task[] | 'failed' | null>(null);
  const [boards, setBoards] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    api.myTasks().then(setTasks, e => { setTasks('failed'); toasts.fail("Couldn't load your tasks", e, 'Reload the page to try again.'); });
    api.boards().then(bs => setBoards(new Map(bs.map(b => [b.id, b.name]))),
      e => toasts.fail("Couldn't load your boards' names", e, 'Tasks are listed without them; reload the page to try again.'));
  }, [toasts]);
  if (tasks === 'failed') return <div className="page"><div className="page-head"><h1>My tasks</h1></div><p className="empty">Your tasks could not be loaded.</p></div>;
  const sorted = tasks ? [...tasks].sort((a, b) => (a.status === 'done' ? 1 : 0) - (b.status === 'done' ? 1 : 0) || (a.dueAt ?? '9').localeCompare(b.dueAt ?? '9')) : null;
  return (
    <div className="page">
      <div className="page-head"><h1>My tasks</h1></div>
      {!sorted ? <Spinner /> : sorted.length === 0 ? <p className="empty">Nothing assigned to you. Enjoy the calm.</p> : (
        <ul className="task-rows">
          {sorted.map(t => {
            const due = dueState(t);
            return (
              <li key={t.id}>
                <Link to={`/boards/${t.boardId}?task=${t.id}`} className="task-row">
                  <span className={`prio-dot prio-${t.priority}`} role="img" aria-label={`${PRIORITY_LABEL[t.priority]} priority`} title={`${PRIORITY_LABEL[t.priority]} priority`} />
                  <span className="grow">{t.title}</span>
                  <span className="muted small">{boards.get(t.boardId) ?? ''}</span>
                  <span className="status-pill">{STATUS_LABEL[t.status]}</span>
                  {t.dueAt && <time className={`chip due-${due}`} dateTime={t.dueAt} title={`Due ${fullDate(t.dueAt)}`} data-testid="due">{due === 'overdue' ? 'Overdue · ' : ''}{relativeDay(t.dueAt)}</time>}
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

