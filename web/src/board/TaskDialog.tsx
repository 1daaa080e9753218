// New / edit task. A new task is created, then added to the board. An edit saves optimistically (the board shows
// it at once) and the dialog closes when the server has it. Edits are never lost:
// - while the dialog is open, a change made elsewhere shows live ("Bob changed the status"): fields you have not
//   touched take the new value, fields you changed keep yours; a field both changed shows both values to choose;
// - a 412 on save (the task changed in between) reloads it and merges the same way: your fields are re-applied and
//   saved again, a field both changed waits for your choice.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api/client';
import type { Board, Label, Member, Status, Task } from '../api/types';
import type { BoardStore } from '../sync';
import { Dialog } from '../ui/Dialog';
import { fmtDate, localInputToUtc } from '../ui/format';
import { useToasts } from '../ui/toasts';
import { VIEWER_TEXT, type BoardActions } from './actions';
import { AttachmentsSection, useAttachments } from './Attachments';
import { Checklist } from './Checklist';
import { LabelChip } from './LabelChip';
import { PRIORITIES, PRIORITY_LABEL, STATUSES, STATUS_LABEL } from './model';
import type { NameOf } from './names';
import { FIELDS, FIELD_WORDS, changedFields, formOf, merge, toTaskFields, type Conflict, type Field, type Form } from './taskForm';
import { Timeline } from './Timeline';
import { sentence } from './timeline';
import { selectLabels, useBoardState } from './useBoardState';
import { limits } from '../api/limits';

interface Props {
  board: Board; task: Task | null; store: BoardStore; members: readonly Member[]; canEdit: boolean; nameOf: NameOf;
  actions: BoardActions; onClose: () => void; onDelete: (t: Task) => void;
  /** Files dropped onto the task's card: uploaded as the dialog opens. */
  initialFiles?: readonly File[];
}

/** A drag that carries files (not a card being moved). */
export const carriesFiles = (e: React.DragEvent) => e.dataTransfer.types.includes('Files');

/** Field errors from a 400 (camelCase keys), or the message as a form error. */
function fieldErrors(err: ApiError): Record<string, string> {
  const f: Record<string, string> = {};
  for (const [k, v] of Object.entries(err.fields)) f[k.charAt(0).toLowerCase() + k.slice(1)] = v[0];
  return Object.keys(f).length ? f : { form: err.message };
}

interface Base { form: Form; version: number }

export function TaskDialog({ board, task, store, members, canEdit, nameOf, actions, onClose, onDelete, initialFiles }: Props) {
  const toasts = useToasts();
  const id = task?.id ?? null;
  const files = useAttachments(id, store);
  const [dropping, setDropping] = useState(false);
  const dropped = useRef(false);
  useEffect(() => {
    if (initialFiles?.length && !dropped.current && canEdit) { dropped.current = true; files.upload(initialFiles); }
  }, [initialFiles, files, canEdit]);
  const dropProps = task && canEdit ? {
    onDragOver: (e: React.DragEvent) => { if (!carriesFiles(e)) return; e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; setDropping(true); },
    onDragLeave: (e: React.DragEvent) => { if (!e.currentTarget.contains(e.relatedTarget as Node)) setDropping(false); },
    onDrop: (e: React.DragEvent) => { if (!carriesFiles(e)) return; e.preventDefault(); setDropping(false); files.upload([...e.dataTransfer.files]); },
  } : {};
  const labels = useBoardState(store, selectLabels);
  // the task as the server last confirmed it (not our optimistic fields), live from the board's events
  const confirmed = useBoardState(store, useCallback(() => (id ? store.confirmedTask(id) ?? null : null), [store, id]));
  const shown = confirmed ?? task;
  const [base, setBase] = useState<Base>(() => ({ form: formOf(shown), version: shown?.version ?? 0 }));
  const [form, setForm] = useState<Form>(() => formOf(shown));
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const [notices, setNotices] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const saving = useRef(false);
  const lastActor = useRef<string | null>(null);

  useEffect(() => (id ? store.onEvent(e => { if (e.task?.id === id) lastActor.current = e.actorId; }) : undefined), [store, id]);

  const addConflicts = (next: Conflict[]) =>
    setConflicts(prev => [...prev.filter(c => !next.some(n => n.field === c.field)), ...next]);
  const notice = (who: string, fields: Field[]) => {
    if (fields.length) setNotices(n => [...n.slice(-2), `${who} changed the ${sentence(fields.map(f => FIELD_WORDS[f]))}`]);
  };

  // a change made elsewhere while the dialog is open: merge it into the form
  useEffect(() => {
    if (!confirmed || saving.current) return;
    const theirs = formOf(confirmed);
    if (FIELDS.every(k => theirs[k] === base.form[k])) {
      if (confirmed.version !== base.version) setBase({ form: theirs, version: confirmed.version });
      return;
    }
    const r = merge(base.form, form, theirs);
    setBase({ form: theirs, version: confirmed.version });
    setForm(r.form);
    addConflicts(r.conflicts);
    notice(lastActor.current === null ? 'TaskHub (automatically)' : nameOf(lastActor.current) ?? 'Someone', r.theirs);
  }, [confirmed]); // eslint-disable-line react-hooks/exhaustive-deps

  const set = (k: Field) => (e: { target: { value: string } }) => { const v = e.target.value; setForm(f => ({ ...f, [k]: v })); };
  const toggleLabel = (labelId: string, on: boolean) => setForm(f => {
    const ids = new Set(f.labels ? f.labels.split(',') : []);
    if (on) ids.add(labelId); else ids.delete(labelId);
    return { ...f, labels: [...ids].sort().join(',') };
  });

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!form.title.trim()) { setErrors({ title: 'Title is required.' }); return; }
    if (conflicts.length) {
      setErrors({ form: `Choose which value to keep for the ${sentence(conflicts.map(c => FIELD_WORDS[c.field]))} first.` });
      return;
    }
    setBusy(true);
    setErrors({});
    saving.current = true;
    try {
      if (!task) {
        actions.created(await api.createTask(board.id, toTaskFields(form) as Parameters<typeof api.createTask>[1]));
        onClose();
        return;
      }
      let b = base, f = form;
      for (let attempt = 0; attempt < 3; attempt++) {
        const changed = changedFields(b.form, f);
        if (!Object.keys(changed).length) { onClose(); return; }
        try {
          await actions.saveEdit(task.id, toTaskFields(changed), b.version);
          onClose();
          return;
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 412)) throw err;
          // the task changed since this form's version: reload it and merge, keeping what was typed here
          const fresh = await api.getTask(task.id);
          store.put(fresh, true);
          const theirs = formOf(fresh);
          const r = merge(b.form, f, theirs);
          b = { form: theirs, version: fresh.version };
          f = r.form;
          setBase(b);
          setForm(f);
          notice('Someone', r.theirs);
          if (r.conflicts.length) {
            addConflicts(r.conflicts);
            setErrors({ form: `Someone else changed this task while you were editing. Choose which value to keep for the ${sentence(r.conflicts.map(c => FIELD_WORDS[c.field]))}, then save again.` });
            return;
          }
        }
      }
      setErrors({ form: 'The task keeps changing under you: your edits are still here, save again.' });
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) setErrors(fieldErrors(err));
      else if (err instanceof ApiError && err.status === 403) toasts.show({ kind: 'error', text: VIEWER_TEXT });
      else if (err instanceof ApiError && err.status === 404) setErrors({ form: 'This task no longer exists.' });
      else setErrors({ form: `Not saved: ${(err as Error).message}. Your edits are still here.` });
    } finally { saving.current = false; setBusy(false); }
  };

  const show = (k: Field, v: string): string => {
    if (!v) return '(empty)';
    if (k === 'assignee' || k === 'supervisor') return nameOf(v) ?? v;
    if (k === 'status') return STATUS_LABEL[v as Status] ?? v;
    if (k === 'due') return fmtDate(localInputToUtc(v));
    if (k === 'labels') return v.split(',').map(x => labels.find(l => l.id === x)?.name ?? 'a deleted label').join(', ');
    return v.length > 120 ? `${v.slice(0, 120)}…` : v;
  };
  const conflict = (k: Field) => {
    const c = conflicts.find(x => x.field === k);
    if (!c) return null;
    const resolve = (value: string) => { setForm(f => ({ ...f, [k]: value })); setConflicts(cs => cs.filter(x => x.field !== k)); setErrors({}); };
    return (
      <div className="conflict" role="group" aria-label={`The ${FIELD_WORDS[k]} was changed by someone else too`}>
        <span>Someone else changed the {FIELD_WORDS[k]} to <strong>{show(k, c.theirs)}</strong>; yours is <strong>{show(k, c.mine)}</strong>.</span>
        <span className="choice">
          <button type="button" className="btn btn-ghost" onClick={() => resolve(c.mine)}>Keep mine</button>
          <button type="button" className="btn btn-ghost" onClick={() => resolve(c.theirs)}>Use theirs</button>
        </span>
      </div>
    );
  };
  const err = (k: string) => errors[k] && <span className="field-error" role="alert">{errors[k]}</span>;
  const people = members.map(m => <option key={m.userId} value={m.userId}>{m.displayName}</option>);
  const chosen = new Set(form.labels ? form.labels.split(',') : []);
  const archived = !!shown?.archivedAt;

  return (
    <Dialog title={task ? 'Edit task' : 'New task'} onClose={onClose} wide={!!task}>
      <div className={`${task ? 'task-dialog-grid' : ''} ${dropping ? 'drop-files' : ''}`} {...dropProps} data-testid="task-drop-zone">
        <div className="task-main">
          <div aria-live="polite">
            {notices.length > 0 && <ul className="live-notices" aria-label="Changes made while you were editing">{notices.map((n, i) => <li key={i}>{n}</li>)}</ul>}
          </div>
          {archived && <p className="banner">This task is archived.</p>}
          <form onSubmit={submit} className="form" aria-label="Task">
            <label>Title<input value={form.title} onChange={set('title')} autoFocus required maxLength={limits.taskTitle} disabled={!canEdit} />{err('title')}</label>
            {conflict('title')}
            <label>Description<textarea value={form.description} onChange={set('description')} rows={4} disabled={!canEdit} />{err('description')}</label>
            {conflict('description')}
            <div className="row">
              <label>Status<select value={form.status} onChange={set('status')} disabled={!canEdit}>
                {STATUSES.map(s => <option key={s} value={s}>{STATUS_LABEL[s]}</option>)}</select></label>
              <label>Priority<select value={form.priority} onChange={set('priority')} disabled={!canEdit}>
                {PRIORITIES.map(p => <option key={p} value={p}>{PRIORITY_LABEL[p]}</option>)}</select>{err('priority')}</label>
            </div>
            {conflict('status')}{conflict('priority')}
            <label>Deadline (your local time)<input type="datetime-local" value={form.due} onChange={set('due')} disabled={!canEdit} />{err('dueAt')}</label>
            {conflict('due')}
            <div className="row">
              <label>Assignee<select value={form.assignee} onChange={set('assignee')} disabled={!canEdit}>
                <option value="">Unassigned</option>{people}</select>{err('assigneeId')}</label>
              <label>Supervisor<select value={form.supervisor} onChange={set('supervisor')} disabled={!canEdit}>
                <option value="">None</option>{people}</select>{err('supervisorId')}</label>
            </div>
            {conflict('assignee')}{conflict('supervisor')}
            <LabelPicker labels={labels} chosen={chosen} disabled={!canEdit} onToggle={toggleLabel} />
            {err('labelIds')}
            {conflict('labels')}
            {err('form')}
            <div className="dialog-actions">
              {task && canEdit && <button type="button" className="btn btn-danger-ghost" onClick={() => onDelete(task)}>Delete</button>}
              {task && canEdit && (
                <button type="button" className="btn btn-ghost" onClick={() => void actions.archive(task, !archived).then(ok => { if (ok && !archived) onClose(); })}>
                  {archived ? 'Restore' : 'Archive'}
                </button>
              )}
              <span className="spacer" />
              <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
              {canEdit && <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : task ? 'Save' : 'Create task'}</button>}
            </div>
          </form>
          {task && <Checklist taskId={task.id} store={store} canEdit={canEdit} />}
          {task && <AttachmentsSection files={files} role={board.role} canEdit={canEdit} nameOf={nameOf} />}
        </div>
        {task && shown && <Timeline task={shown} store={store} members={members} labels={labels} role={board.role} canEdit={canEdit} nameOf={nameOf} />}
      </div>
    </Dialog>
  );
}

function LabelPicker({ labels, chosen, disabled, onToggle }: { labels: readonly Label[]; chosen: ReadonlySet<string>; disabled: boolean; onToggle: (id: string, on: boolean) => void }) {
  return (
    <fieldset className="label-picker">
      <legend>Labels</legend>
      {labels.length === 0 && <span className="muted small">No labels on this board yet (Labels, above the board).</span>}
      {labels.map(l => (
        <label key={l.id}>
          <input type="checkbox" checked={chosen.has(l.id)} disabled={disabled} onChange={e => onToggle(l.id, e.target.checked)} aria-label={`Label ${l.name}`} />
          <LabelChip label={l} small />
        </label>
      ))}
    </fieldset>
  );
}
