// A task's history (its board events), newest as the server orders them.
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { ActivityItem, Status, Task } from '../api/types';
import { fmtDate } from '../ui/format';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import { STATUS_LABEL } from './model';
import type { NameOf } from './names';

export function ActivityList({ task, nameOf }: { task: Task; nameOf: NameOf }) {
  const toasts = useToasts();
  const [activity, setActivity] = useState<ActivityItem[] | 'failed' | null>(null);
  useEffect(() => {
    let current = true;
    api.activity(task.id).then(
      a => { if (current) setActivity(a); },
      e => { if (!current) return; setActivity('failed'); toasts.fail(`Couldn't load the history of “${task.title}”`, e, 'Close and reopen the task to try again.'); });
    return () => { current = false; };
  }, [task, toasts]);
  return (
    <aside className="activity" aria-label="Activity">
      <h3>Activity</h3>
      {!activity ? <Spinner /> : activity === 'failed' ? <p className="muted">History unavailable.</p> : activity.length === 0 ? <p className="muted">No activity yet.</p> : (
        <ol>
          {activity.map((a, i) => (
            <li key={a.seq ?? i}>
              <div className="activity-head"><strong>{nameOf(a.actorId) ?? 'System'}</strong> {a.type.replace(/^Task/, '').toLowerCase()} <time>{fmtDate(a.at)}</time></div>
              {a.changes.filter(c => c.field !== 'version' && c.field !== 'updatedAt').map((c, j) => (
                <div key={j} className="change"><span className="muted">{c.field}</span> {fmtVal(c.field, c.from, nameOf)} → {fmtVal(c.field, c.to, nameOf)}</div>
              ))}
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}

function fmtVal(field: string, v: string | null, nameOf: NameOf): string {
  if (v === null || v === '') return '—';
  if (field.endsWith('Id')) return nameOf(v) ?? v;
  if (field.endsWith('At')) return fmtDate(v);
  if (field === 'status') return STATUS_LABEL[v as Status] ?? v;
  return v;
}
