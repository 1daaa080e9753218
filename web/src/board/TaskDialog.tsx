// New / edit task. An edit closes the dialog at once and saves optimistically (the board shows it; a refusal
// rolls back with a toast); a new task is created first and then added to the board.
import { useRef, useState } from 'react';
import { ApiError, api } from '../api/client';
import type { Member, Priority, Status, Task } from '../api/types';
import { Dialog } from '../ui/Dialog';
import { localInputToUtc, utcToLocalInput } from '../ui/format';
import { useToasts } from '../ui/toasts';
import { VIEWER_TEXT } from './actions';
import { ActivityList } from './ActivityList';
import { PRIORITIES, STATUSES, STATUS_LABEL } from './model';
import type { NameOf } from './names';

interface Props {
  boardId: string; task: Task | null; members: readonly Member[]; canEdit: boolean; nameOf: NameOf;
  onClose: () => void; onCreated: (t: Task) => void; onPatch: (id: string, p: Partial<Task>, version: number) => Promise<boolean>; onDelete: (t: Task) => void;
}

interface Form { title: string; description: string; status: Status; priority: Priority; due: string; assignee: string; supervisor: string }

const formOf = (t: Task | null): Form => ({
  title: t?.title ?? '', description: t?.description ?? '', status: t?.status ?? 'todo', priority: t?.priority ?? 'medium',
  due: utcToLocalInput(t?.dueAt ?? null), assignee: t?.assigneeId ?? '', supervisor: t?.supervisorId ?? '',
});

/** Field errors from a 400 (camelCase keys), or the message as a form error. */
function fieldErrors(err: ApiError): Record<string, string> {
  const f: Record<string, string> = {};
  for (const [k, v] of Object.entries(err.fields)) f[k.charAt(0).toLowerCase() + k.slice(1)] = v[0];
  return Object.keys(f).length ? f : { form: err.message };
}

export function TaskDialog({ boardId, task, members, canEdit, nameOf, onClose, onCreated, onPatch, onDelete }: Props) {
  const toasts = useToasts();
  const [form, setForm] = useState(() => formOf(task));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const version = useRef(task?.version ?? 0); // the version this form was opened from
  const set = <K extends keyof Form>(k: K) => (e: { target: { value: string } }) => setForm(f => ({ ...f, [k]: e.target.value as Form[K] }));

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!form.title.trim()) { setErrors({ title: 'Title is required.' }); return; }
    const body = {
      title: form.title.trim(), description: form.description.trim() || null, status: form.status, priority: form.priority,
      dueAt: localInputToUtc(form.due), assigneeId: form.assignee || null, supervisorId: form.supervisor || null,
    } satisfies Partial<Task>;
    setBusy(true);
    setErrors({});
    try {
      if (!task) {
        onCreated(await api.createTask(boardId, body));
        onClose();
      } else {
        const changed: Partial<Task> = {};
        for (const k of Object.keys(body) as (keyof typeof body)[]) if (body[k] !== task[k]) (changed as Record<string, unknown>)[k] = body[k];
        onClose();
        if (Object.keys(changed).length) await onPatch(task.id, changed, version.current);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) setErrors(fieldErrors(err));
      else if (err instanceof ApiError && err.status === 403) toasts.show({ kind: 'error', text: VIEWER_TEXT });
      else setErrors({ form: (err as Error).message });
    } finally { setBusy(false); }
  };

  const err = (k: string) => errors[k] && <span className="field-error" role="alert">{errors[k]}</span>;
  const people = members.map(m => <option key={m.userId} value={m.userId}>{m.displayName}</option>);
  return (
    <Dialog title={task ? 'Edit task' : 'New task'} onClose={onClose} wide={!!task}>
      <div className={task ? 'task-dialog-grid' : ''}>
        <form onSubmit={submit} className="form" aria-label="Task">
          <label>Title<input value={form.title} onChange={set('title')} autoFocus required maxLength={200} disabled={!canEdit} />{err('title')}</label>
          <label>Description<textarea value={form.description} onChange={set('description')} rows={4} disabled={!canEdit} />{err('description')}</label>
          <div className="row">
            <label>Status<select value={form.status} onChange={set('status')} disabled={!canEdit}>
              {STATUSES.map(s => <option key={s} value={s}>{STATUS_LABEL[s]}</option>)}</select></label>
            <label>Priority<select value={form.priority} onChange={set('priority')} disabled={!canEdit}>
              {PRIORITIES.map(p => <option key={p} value={p}>{p}</option>)}</select>{err('priority')}</label>
          </div>
          <label>Deadline (your local time)<input type="datetime-local" value={form.due} onChange={set('due')} disabled={!canEdit} />{err('dueAt')}</label>
          <div className="row">
            <label>Assignee<select value={form.assignee} onChange={set('assignee')} disabled={!canEdit}>
              <option value="">Unassigned</option>{people}</select>{err('assigneeId')}</label>
            <label>Supervisor<select value={form.supervisor} onChange={set('supervisor')} disabled={!canEdit}>
              <option value="">None</option>{people}</select>{err('supervisorId')}</label>
          </div>
          {err('form')}
          <div className="dialog-actions">
            {task && canEdit && <button type="button" className="btn btn-danger-ghost" onClick={() => onDelete(task)}>Delete</button>}
            <span className="spacer" />
            <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
            {canEdit && <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : task ? 'Save' : 'Create task'}</button>}
          </div>
        </form>
        {task && <ActivityList task={task} nameOf={nameOf} />}
      </div>
    </Dialog>
  );
}
