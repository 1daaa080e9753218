import { memo, useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { ApiError, api, currentUser, taskWriteBody, type ActivityItem, type Board, type Member, type Role } from './api';
import { BoardLive } from './live';
import { BoardSync, STATUSES, STATUS_LABEL, columnsOf, dueState, localInputToUtc, neighbourStatus, utcToLocalInput, visibleRange, type Applied, type Priority, type Status, type Task } from './sync';
import { Avatar, Dialog, Link, Spinner, fmtDate, navigate, useToasts } from './ui';

const ROW = 88; // px per card slot (card + gap): fixed so long columns can be windowed
const PRIORITIES: Priority[] = ['urgent', 'high', 'medium', 'low'];

type Conn = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export function BoardPage({ boardId }: { boardId: string }) {
  const toasts = useToasts();
  const [board, setBoard] = useState<Board | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [conn, setConn] = useState<Conn>('connecting');
  const [presence, setPresence] = useState<{ userId: string; displayName: string }[]>([]);
  const [editing, setEditing] = useState<Task | 'new' | null>(null);
  const [showMembers, setShowMembers] = useState(false);
  const [flash, setFlash] = useState<Set<string>>(new Set());
  const [fAssignee, setFAssignee] = useState('');
  const [fPriority, setFPriority] = useState('');
  const [fDue, setFDue] = useState('');
  const syncRef = useRef<BoardSync | null>(null);
  const pendingDeletes = useRef(new Map<string, { timer: number; task: Task }>());
  const me = currentUser();
  const role: Role = board?.role ?? 'viewer';
  const canEdit = role !== 'viewer';

  const rerender = useCallback(() => setTick(t => t + 1), []);
  const memberById = useMemo(() => new Map(members.map(m => [m.userId, m])), [members]);
  const nameOf = useCallback((id: string | null) => (id ? memberById.get(id)?.displayName ?? 'Unknown' : null), [memberById]);
  const nameOfRef = useRef(nameOf);
  nameOfRef.current = nameOf; // the live handlers are created once: read the latest member names through a ref

  const loadMembers = useCallback(() => api.members(boardId).then(setMembers).catch(() => {}), [boardId]);

  useEffect(() => {
    let live: BoardLive | null = null;
    let cancelled = false;
    (async () => {
      try {
        const [b, list] = await Promise.all([api.board(boardId), api.tasks(boardId)]);
        if (cancelled) return;
        const sync = new BoardSync(list.tasks, list.seq);
        syncRef.current = sync;
        setBoard(b);
        rerender();
        performance.mark('taskhub:board-rendered');
        void loadMembers();
        live = new BoardLive(boardId, sync, {
          onApplied: (applied: Applied[]) => {
            rerender();
            const remote = applied.filter(a => a.event.actorId !== me?.id);
            if (remote.length) {
              const ids = remote.map(a => (a.kind === 'delete' ? a.id : a.task.id));
              setFlash(new Set(ids));
              setTimeout(() => setFlash(new Set()), 1600);
              const a = remote[remote.length - 1];
              const who = nameOfRef.current(a.event.actorId) ?? 'Someone';
              const verb = a.kind === 'delete' ? 'deleted' : a.event.type === 'TaskCreated' ? 'created' : 'updated';
              toasts.announce(`${who} ${verb} “${a.kind === 'delete' ? a.event.task.title : a.task.title}”`);
            }
          },
          onPresence: setPresence,
          onConnection: setConn,
          onRevoked: () => { toasts.show({ kind: 'error', text: 'You no longer have access to this board.' }); navigate('/'); },
        });
        void live.start();
      } catch (e) {
        if (!cancelled) setError(e instanceof ApiError && e.status === 404 ? 'Board not found.' : (e as Error).message);
      }
    })();
    const deletes = pendingDeletes.current;
    return () => {
      cancelled = true;
      void live?.stop();
      for (const [id, p] of deletes) { clearTimeout(p.timer); void api.deleteTask(id).catch(() => {}); }
      deletes.clear();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [boardId]);

  // a member list that changed (e.g. role change) refreshes on presence changes too
  useEffect(() => { if (presence.length) void loadMembers(); }, [presence.length, loadMembers]);

  const filter = useMemo(() => {
    if (!fAssignee && !fPriority && !fDue) return undefined;
    const now = Date.now();
    return (t: Task) =>
      (!fAssignee || (fAssignee === 'none' ? !t.assigneeId : t.assigneeId === fAssignee)) &&
      (!fPriority || t.priority === fPriority) &&
      (!fDue || (fDue === 'none' ? !t.dueAt : dueState(t, now) === fDue));
  }, [fAssignee, fPriority, fDue]);

  const columns = useMemo(() => (syncRef.current ? columnsOf(syncRef.current.tasks.values(), filter) : null),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [tick, filter]);

  function explain(e: unknown): string {
    if (e instanceof ApiError) {
      if (e.status === 412) return 'Someone else changed this task — reloaded.';
      if (e.status === 403) return "Viewers can't change tasks.";
      if (e.status === 404) return 'This task no longer exists.';
      return e.message;
    }
    return 'Network error — your change was not saved.';
  }

  const reloadTask = useCallback(async (id: string) => {
    const sync = syncRef.current!;
    try { sync.put(await api.getTask(id), true); } catch { sync.remove(id); }
    rerender();
  }, [rerender]);

  /** Optimistic patch with rollback. */
  const patchTask = useCallback(async (id: string, patch: Partial<Task>, baseVersion?: number): Promise<boolean> => {
    const sync = syncRef.current;
    const before = sync?.tasks.get(id);
    if (!sync || !before) return false;
    if (!canEdit) { toasts.show({ kind: 'error', text: "Viewers can't change tasks." }); return false; }
    sync.put({ ...before, ...patch }, true);
    rerender();
    try {
      const saved = await api.patchTask(id, taskWriteBody(patch), baseVersion ?? before.version);
      sync.put(saved);
      rerender();
      return true;
    } catch (e) {
      const cur = sync.tasks.get(id);
      if (cur && cur.version === before.version) sync.put(before, true);
      rerender();
      toasts.show({ kind: 'error', text: explain(e) });
      if (e instanceof ApiError && (e.status === 412 || e.status === 404)) await reloadTask(id);
      return false;
    }
  }, [canEdit, rerender, toasts, reloadTask]);

  const move = useCallback((id: string, status: Status) => {
    const t = syncRef.current?.tasks.get(id);
    if (!t || t.status === status) return;
    toasts.announce(`Moved “${t.title}” to ${STATUS_LABEL[status]}`);
    void patchTask(id, { status });
  }, [patchTask, toasts]);

  const deleteTask = useCallback((t: Task) => {
    const sync = syncRef.current!;
    if (!canEdit) { toasts.show({ kind: 'error', text: "Viewers can't change tasks." }); return; }
    sync.remove(t.id);
    rerender();
    const timer = window.setTimeout(async () => {
      pendingDeletes.current.delete(t.id);
      try { await api.deleteTask(t.id); } catch (e) { sync.put(t, true); rerender(); toasts.show({ kind: 'error', text: explain(e) }); }
    }, 5000);
    pendingDeletes.current.set(t.id, { timer, task: t });
    toasts.show({
      kind: 'info', text: `Deleted “${t.title}”`, ms: 5000,
      action: { label: 'Undo', run: () => { const p = pendingDeletes.current.get(t.id); if (!p) return; clearTimeout(p.timer); pendingDeletes.current.delete(t.id); sync.put(t, true); rerender(); } },
    });
  }, [canEdit, rerender, toasts]);

  if (error) return <div className="page"><p className="empty">{error}</p><Link to="/">Back to boards</Link></div>;
  if (!board || !columns) return <div className="page"><Spinner label="Loading board…" /></div>;

  const others = presence.filter(p => p.userId !== me?.id);
  return (
    <div className="board-page">
      {conn !== 'connected' && conn !== 'connecting' && (
        <div className="banner" role="status" data-testid="reconnecting">Reconnecting… changes will catch up automatically.</div>
      )}
      <div className="board-head">
        <div className="board-title">
          <h1>{board.name}</h1>
          <span className="role-pill">{role}</span>
        </div>
        <div className="presence" aria-label="People viewing this board">
          {others.slice(0, 5).map(p => <Avatar key={p.userId} id={p.userId} name={p.displayName} size={26} title={`${p.displayName} is viewing`} />)}
          {others.length > 5 && <span className="more">+{others.length - 5}</span>}
        </div>
        <div className="board-actions">
          <Link to={`/boards/${boardId}/reports`} className="btn btn-ghost">Reports</Link>
          <button className="btn btn-ghost" onClick={() => setShowMembers(true)}>Members</button>
          {canEdit && <button className="btn btn-primary" onClick={() => setEditing('new')}>New task</button>}
        </div>
      </div>
      <div className="filters" role="group" aria-label="Filters">
        <label>Assignee
          <select value={fAssignee} onChange={e => setFAssignee(e.target.value)}>
            <option value="">Anyone</option><option value="none">Unassigned</option>
            {members.map(m => <option key={m.userId} value={m.userId}>{m.displayName}</option>)}
          </select>
        </label>
        <label>Priority
          <select value={fPriority} onChange={e => setFPriority(e.target.value)}>
            <option value="">Any</option>{PRIORITIES.map(p => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <label>Due
          <select value={fDue} onChange={e => setFDue(e.target.value)}>
            <option value="">Any time</option><option value="overdue">Overdue</option><option value="soon">Within 48 h</option><option value="later">Later</option><option value="none">No deadline</option>
          </select>
        </label>
      </div>
      <div className="columns">
        {STATUSES.map(s => (
          <Column key={s} status={s} tasks={columns[s]} flash={flash} nameOf={nameOf} onMove={move} onOpen={setEditing} onDelete={deleteTask} />
        ))}
      </div>
      {editing && (
        <TaskDialog boardId={boardId} task={editing === 'new' ? null : editing} members={members} canEdit={canEdit} nameOf={nameOf}
          onClose={() => setEditing(null)}
          onCreated={t => { syncRef.current!.put(t); rerender(); }}
          onPatch={(id, patch, v) => patchTask(id, patch, v)}
          onDelete={t => { setEditing(null); deleteTask(t); }} />
      )}
      {showMembers && <MembersDialog boardId={boardId} role={role} members={members} onChanged={loadMembers} onClose={() => setShowMembers(false)} />}
    </div>
  );
}

interface ColumnProps {
  status: Status; tasks: Task[]; flash: Set<string>; nameOf: (id: string | null) => string | null;
  onMove: (id: string, s: Status) => void; onOpen: (t: Task) => void; onDelete: (t: Task) => void;
}

function Column({ status, tasks, flash, nameOf, onMove, onOpen, onDelete }: ColumnProps) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(800);
  const [over, setOver] = useState(false);
  useEffect(() => {
    const el = bodyRef.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const [first, last] = visibleRange(tasks.length, ROW, scrollTop, height);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const id = e.dataTransfer.getData('text/x-taskhub-id') || e.dataTransfer.getData('text/plain');
    if (id) onMove(id, status);
  };
  return (
    <section className={`column ${over ? 'drop-over' : ''}`} aria-label={STATUS_LABEL[status]} data-status={status}
      onDragOver={e => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; if (!over) setOver(true); }}
      onDragLeave={e => { if (!e.currentTarget.contains(e.relatedTarget as Node)) setOver(false); }}
      onDrop={onDrop}>
      <header className="column-head">
        <span className={`dot dot-${status}`} aria-hidden="true" />
        <h2>{STATUS_LABEL[status]}</h2>
        <span className="count" data-testid={`count-${status}`}>{tasks.length}</span>
      </header>
      <div className="column-body" ref={bodyRef} onScroll={e => setScrollTop(e.currentTarget.scrollTop)} role="list">
        {tasks.length === 0 && <p className="column-empty">No tasks</p>}
        <div style={{ height: tasks.length * ROW, position: 'relative' }}>
          {tasks.slice(first, last).map((t, i) => (
            <div key={t.id} role="listitem" className="card-slot" style={{ top: (first + i) * ROW }}>
              <Card task={t} flash={flash.has(t.id)} assignee={nameOf(t.assigneeId)} supervisor={nameOf(t.supervisorId)}
                onMove={onMove} onOpen={onOpen} onDelete={onDelete} />
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}

interface CardProps {
  task: Task; flash: boolean; assignee: string | null; supervisor: string | null;
  onMove: (id: string, s: Status) => void; onOpen: (t: Task) => void; onDelete: (t: Task) => void;
}

const Card = memo(function Card({ task, flash, assignee, supervisor, onMove, onOpen, onDelete }: CardProps) {
  const due = dueState(task);
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      const to = neighbourStatus(task.status, e.key === 'ArrowLeft' ? -1 : 1);
      if (to) {
        onMove(task.id, to);
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

interface TaskDialogProps {
  boardId: string; task: Task | null; members: Member[]; canEdit: boolean; nameOf: (id: string | null) => string | null;
  onClose: () => void; onCreated: (t: Task) => void; onPatch: (id: string, p: Partial<Task>, version: number) => Promise<boolean>; onDelete: (t: Task) => void;
}

function TaskDialog({ boardId, task, members, canEdit, nameOf, onClose, onCreated, onPatch, onDelete }: TaskDialogProps) {
  const toasts = useToasts();
  const [title, setTitle] = useState(task?.title ?? '');
  const [description, setDescription] = useState(task?.description ?? '');
  const [status, setStatus] = useState<Status>(task?.status ?? 'todo');
  const [priority, setPriority] = useState<Priority>(task?.priority ?? 'medium');
  const [due, setDue] = useState(utcToLocalInput(task?.dueAt ?? null));
  const [assignee, setAssignee] = useState(task?.assigneeId ?? '');
  const [supervisor, setSupervisor] = useState(task?.supervisorId ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [activity, setActivity] = useState<ActivityItem[] | null>(null);
  const version = useRef(task?.version ?? 0); // the version this form was opened from

  useEffect(() => { if (task) api.activity(task.id).then(setActivity).catch(() => setActivity([])); }, [task]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!title.trim()) { setErrors({ title: 'Title is required.' }); return; }
    const body: Partial<Task> = {
      title: title.trim(), description: description.trim() || null, status, priority,
      dueAt: localInputToUtc(due), assigneeId: assignee || null, supervisorId: supervisor || null,
    };
    setBusy(true);
    setErrors({});
    try {
      if (!task) {
        onCreated(await api.createTask(boardId, body));
        onClose();
      } else {
        const changed: Partial<Task> = {};
        for (const k of Object.keys(body) as (keyof Task)[]) if (body[k] !== task[k]) (changed as Record<string, unknown>)[k] = body[k];
        if (Object.keys(changed).length === 0) { onClose(); return; }
        onClose();
        await onPatch(task.id, changed, version.current);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const f: Record<string, string> = {};
        for (const [k, v] of Object.entries(err.fields)) f[k.charAt(0).toLowerCase() + k.slice(1)] = v[0];
        setErrors(Object.keys(f).length ? f : { form: err.message });
      } else if (err instanceof ApiError && err.status === 403) {
        toasts.show({ kind: 'error', text: "Viewers can't change tasks." });
      } else setErrors({ form: (err as Error).message });
    } finally { setBusy(false); }
  };

  const err = (k: string) => errors[k] && <span className="field-error" role="alert">{errors[k]}</span>;
  return (
    <Dialog title={task ? 'Edit task' : 'New task'} onClose={onClose} wide={!!task}>
      <div className={task ? 'task-dialog-grid' : ''}>
        <form onSubmit={submit} className="form" aria-label="Task">
          <label>Title<input value={title} onChange={e => setTitle(e.target.value)} autoFocus required maxLength={200} disabled={!canEdit} />{err('title')}</label>
          <label>Description<textarea value={description} onChange={e => setDescription(e.target.value)} rows={4} disabled={!canEdit} />{err('description')}</label>
          <div className="row">
            <label>Status<select value={status} onChange={e => setStatus(e.target.value as Status)} disabled={!canEdit}>
              {STATUSES.map(s => <option key={s} value={s}>{STATUS_LABEL[s]}</option>)}</select></label>
            <label>Priority<select value={priority} onChange={e => setPriority(e.target.value as Priority)} disabled={!canEdit}>
              {PRIORITIES.map(p => <option key={p} value={p}>{p}</option>)}</select>{err('priority')}</label>
          </div>
          <label>Deadline (your local time)<input type="datetime-local" value={due} onChange={e => setDue(e.target.value)} disabled={!canEdit} />{err('dueAt')}</label>
          <div className="row">
            <label>Assignee<select value={assignee} onChange={e => setAssignee(e.target.value)} disabled={!canEdit}>
              <option value="">Unassigned</option>{members.map(m => <option key={m.userId} value={m.userId}>{m.displayName}</option>)}</select>{err('assigneeId')}</label>
            <label>Supervisor<select value={supervisor} onChange={e => setSupervisor(e.target.value)} disabled={!canEdit}>
              <option value="">None</option>{members.map(m => <option key={m.userId} value={m.userId}>{m.displayName}</option>)}</select>{err('supervisorId')}</label>
          </div>
          {err('form')}
          <div className="dialog-actions">
            {task && canEdit && <button type="button" className="btn btn-danger-ghost" onClick={() => onDelete(task)}>Delete</button>}
            <span className="spacer" />
            <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
            {canEdit && <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Saving…' : task ? 'Save' : 'Create task'}</button>}
          </div>
        </form>
        {task && (
          <aside className="activity" aria-label="Activity">
            <h3>Activity</h3>
            {!activity ? <Spinner /> : activity.length === 0 ? <p className="muted">No activity yet.</p> : (
              <ol>
                {activity.map((a, i) => (
                  <li key={a.seq ?? i}>
                    <div className="activity-head"><strong>{a.actorName ?? nameOf(a.actorId) ?? 'System'}</strong> {a.type.replace(/^Task/, '').toLowerCase()} <time>{fmtDate(a.at)}</time></div>
                    {a.changes?.filter(c => c.field !== 'version' && c.field !== 'updatedAt').map((c, j) => (
                      <div key={j} className="change"><span className="muted">{c.field}</span> {fmtVal(c.field, c.from, nameOf)} → {fmtVal(c.field, c.to, nameOf)}</div>
                    ))}
                  </li>
                ))}
              </ol>
            )}
          </aside>
        )}
      </div>
    </Dialog>
  );
}

function fmtVal(field: string, v: unknown, nameOf: (id: string | null) => string | null): string {
  if (v === null || v === undefined || v === '') return '—';
  if (field.endsWith('Id')) return nameOf(String(v)) ?? String(v);
  if (field.endsWith('At') && typeof v === 'string') return fmtDate(v);
  if (field === 'status' && typeof v === 'string') return STATUS_LABEL[v as Status] ?? v;
  return String(v);
}

function MembersDialog({ boardId, role, members, onChanged, onClose }: { boardId: string; role: Role; members: Member[]; onChanged: () => Promise<unknown>; onClose: () => void }) {
  const toasts = useToasts();
  const [email, setEmail] = useState('');
  const [newRole, setNewRole] = useState<Role>('member');
  const [error, setError] = useState('');
  const manage = role === 'owner' || role === 'admin';
  const roles: Role[] = role === 'owner' ? ['owner', 'admin', 'member', 'viewer'] : ['admin', 'member', 'viewer'];
  const invite = async (e: React.FormEvent) => {
    e.preventDefault();
    setError('');
    try { await api.addMember(boardId, email.trim(), newRole); setEmail(''); await onChanged(); toasts.show({ kind: 'success', text: `Added ${email.trim()}` }); }
    catch (err) { setError((err as Error).message); }
  };
  const change = async (m: Member, r: Role) => {
    try { await api.setRole(boardId, m.userId, r); await onChanged(); toasts.show({ kind: 'success', text: `${m.displayName} is now ${r}` }); }
    catch (err) { toasts.show({ kind: 'error', text: (err as Error).message }); }
  };
  return (
    <Dialog title="Members" onClose={onClose}>
      {manage && (
        <form className="form invite" onSubmit={invite} aria-label="Invite a member">
          <div className="row">
            <label className="grow">Email<input type="email" required value={email} onChange={e => setEmail(e.target.value)} placeholder="name@example.com" /></label>
            <label>Role<select value={newRole} onChange={e => setNewRole(e.target.value as Role)}>{roles.map(r => <option key={r}>{r}</option>)}</select></label>
          </div>
          {error && <span className="field-error" role="alert">{error}</span>}
          <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary">Invite</button></div>
        </form>
      )}
      <ul className="member-list">
        {members.map(m => (
          <li key={m.userId}>
            <Avatar name={m.displayName} id={m.userId} size={30} />
            <div className="grow"><div>{m.displayName}</div><div className="muted small">{m.email}</div></div>
            {manage && (m.role !== 'owner' || role === 'owner') ? (
              <select aria-label={`Role of ${m.displayName}`} value={m.role} onChange={e => void change(m, e.target.value as Role)}>
                {(roles.includes(m.role) ? roles : [m.role, ...roles]).map(r => <option key={r}>{r}</option>)}
              </select>
            ) : <span className="role-pill">{m.role}</span>}
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
