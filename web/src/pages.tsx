import { useEffect, useState } from 'react';
import { ApiError, api, currentUser, setUser, type Board, type Report } from './api';
import { STATUS_LABEL, dueState, type Task } from './sync';
import { Link, Spinner, fmtDate, navigate, useToasts } from './ui';

export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true); setErrors({});
    try {
      if (mode === 'signup') await api.register(email.trim(), password, name.trim());
      else await api.login(email.trim(), password);
      navigate('/');
    } catch (err) {
      if (err instanceof ApiError) {
        const f: Record<string, string> = {};
        for (const [k, v] of Object.entries(err.fields)) f[k.charAt(0).toLowerCase() + k.slice(1)] = v[0];
        setErrors(Object.keys(f).length ? f : { form: err.message });
      } else setErrors({ form: 'Network error.' });
    } finally { setBusy(false); }
  };
  const err = (k: string) => errors[k] && <span className="field-error" role="alert">{errors[k]}</span>;
  return (
    <div className="auth-card">
      <div className="brand big"><span className="brand-mark" aria-hidden="true">◆</span> TaskHub</div>
      <h1>{mode === 'signup' ? 'Create your account' : 'Welcome back'}</h1>
      <form className="form" onSubmit={submit} aria-label={mode === 'signup' ? 'Sign up' : 'Log in'}>
        {mode === 'signup' && <label>Name<input value={name} onChange={e => setName(e.target.value)} required autoComplete="name" />{err('displayName')}</label>}
        <label>Email<input type="email" value={email} onChange={e => setEmail(e.target.value)} required autoComplete="email" />{err('email')}</label>
        <label>Password<input type="password" value={password} onChange={e => setPassword(e.target.value)} required autoComplete={mode === 'signup' ? 'new-password' : 'current-password'} />
          {mode === 'signup' && <span className="hint">At least 8 characters, letters plus digits or symbols.</span>}{err('password')}</label>
        {err('form')}
        <button className="btn btn-primary wide" disabled={busy}>{busy ? 'Please wait…' : mode === 'signup' ? 'Sign up' : 'Log in'}</button>
      </form>
      <p className="muted center">
        {mode === 'signup' ? <>Already have an account? <Link to="/login">Log in</Link></> : <>New here? <Link to="/signup">Create an account</Link></>}
      </p>
    </div>
  );
}

export function BoardsPage() {
  const [boards, setBoards] = useState<Board[] | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  useEffect(() => { api.boards().then(setBoards).catch(e => setError(e.message)); }, []);
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setError('');
    try { const b = await api.createBoard(name.trim()); navigate(`/boards/${b.id}`); } catch (err) { setError((err as Error).message); }
  };
  return (
    <div className="page">
      <div className="page-head"><h1>Boards</h1></div>
      <form className="inline-form" onSubmit={create} aria-label="Create board">
        <label className="sr-only" htmlFor="board-name">Board name</label>
        <input id="board-name" placeholder="New board name" value={name} onChange={e => setName(e.target.value)} required maxLength={100} />
        <button className="btn btn-primary">Create board</button>
      </form>
      {error && <p className="field-error" role="alert">{error}</p>}
      {!boards ? <Spinner /> : boards.length === 0 ? <p className="empty">No boards yet — create your first one above.</p> : (
        <ul className="board-grid">
          {boards.map(b => (
            <li key={b.id}><Link to={`/boards/${b.id}`} className="board-tile"><span className="board-tile-name">{b.name}</span><span className="muted small">{b.role} · updated {fmtDate(b.updatedAt, false)}</span></Link></li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function MyTasksPage() {
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [boards, setBoards] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    api.myTasks().then(setTasks).catch(() => setTasks([]));
    api.boards().then(bs => setBoards(new Map(bs.map(b => [b.id, b.name])))).catch(() => {});
  }, []);
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
                <Link to={`/boards/${t.boardId}`} className="task-row">
                  <span className={`prio-dot prio-${t.priority}`} aria-label={`${t.priority} priority`} />
                  <span className="grow">{t.title}</span>
                  <span className="muted small">{boards.get(t.boardId) ?? ''}</span>
                  <span className="status-pill">{STATUS_LABEL[t.status]}</span>
                  {t.dueAt && <span className={`chip due-${due}`}>{fmtDate(t.dueAt)}</span>}
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

const ZONES: string[] = (() => { try { return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone'); } catch { return ['UTC']; } })();

export function SettingsPage() {
  const toasts = useToasts();
  const user = currentUser()!;
  const [name, setName] = useState(user.displayName);
  const [tz, setTz] = useState(user.timeZone ?? 'UTC');
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const [notif, setNotif] = useState<{ emailOnChange: boolean; digest: string; reminderLeadHours: number } | null>(null);
  const [delPw, setDelPw] = useState('');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [msg, setMsg] = useState<Record<string, string>>({});
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    api.me().then(u => { setName(u.displayName); setTz(u.timeZone ?? 'UTC'); }).catch(() => {}).finally(() => setLoaded(true));
    api.notifications().then(setNotif).catch(() => {});
  }, []);
  const run = async (key: string, f: () => Promise<unknown>, ok: string) => {
    setMsg(m => ({ ...m, [key]: '' }));
    try { await f(); toasts.show({ kind: 'success', text: ok }); }
    catch (e) { setMsg(m => ({ ...m, [key]: (e as Error).message })); }
  };
  const err = (k: string) => msg[k] && <span className="field-error" role="alert">{msg[k]}</span>;
  return (
    <div className="page narrow">
      <div className="page-head"><h1>Settings</h1></div>
      <section className="panel">
        <h2>Profile</h2>
        {!loaded ? <Spinner /> : <form className="form" onSubmit={e => { e.preventDefault(); void run('profile', async () => setUser(await api.updateMe({ displayName: name.trim(), timeZone: tz })), 'Profile saved'); }}>
          <label>Name<input value={name} onChange={e => setName(e.target.value)} required /></label>
          <label>Time zone<select value={tz} onChange={e => setTz(e.target.value)}>{(ZONES.includes(tz) ? ZONES : [tz, ...ZONES]).map(z => <option key={z}>{z}</option>)}</select></label>
          {err('profile')}
          <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary">Save profile</button></div>
        </form>}
      </section>
      <section className="panel">
        <h2>Password</h2>
        <form className="form" onSubmit={e => { e.preventDefault(); void run('pw', async () => { await api.updateMe({ currentPassword: cur, newPassword: next }); setCur(''); setNext(''); }, 'Password changed'); }}>
          <label>Current password<input type="password" value={cur} onChange={e => setCur(e.target.value)} required autoComplete="current-password" /></label>
          <label>New password<input type="password" value={next} onChange={e => setNext(e.target.value)} required autoComplete="new-password" /></label>
          {err('pw')}
          <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary">Change password</button></div>
        </form>
      </section>
      <section className="panel">
        <h2>Notifications</h2>
        {!notif ? <Spinner /> : (
          <form className="form" onSubmit={e => { e.preventDefault(); void run('notif', () => api.saveNotifications(notif), 'Notification settings saved'); }}>
            <label className="check"><input type="checkbox" checked={notif.emailOnChange} onChange={e => setNotif({ ...notif, emailOnChange: e.target.checked })} /> Email me when my tasks change</label>
            <div className="row">
              <label>Digest<select value={notif.digest} onChange={e => setNotif({ ...notif, digest: e.target.value })}>
                {['off', 'daily', 'weekly', 'monthly'].map(d => <option key={d}>{d}</option>)}</select></label>
              <label>Reminder lead time (hours)<input type="number" min={0} max={720} value={notif.reminderLeadHours} onChange={e => setNotif({ ...notif, reminderLeadHours: Number(e.target.value) })} /></label>
            </div>
            {err('notif')}
            <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary">Save notifications</button></div>
          </form>
        )}
      </section>
      <section className="panel danger">
        <h2>Delete account</h2>
        <p className="muted">This signs you out everywhere and removes you from all boards. Boards you alone own pass to their admins.</p>
        {!confirmDelete ? <button className="btn btn-danger" onClick={() => setConfirmDelete(true)}>Delete my account…</button> : (
          <form className="form" onSubmit={e => { e.preventDefault(); void run('del', async () => { await api.deleteMe(delPw); api.clearSession(); navigate('/login'); }, 'Account deleted'); }}>
            <label>Confirm with your password<input type="password" value={delPw} onChange={e => setDelPw(e.target.value)} required autoComplete="current-password" /></label>
            {err('del')}
            <div className="dialog-actions"><span className="spacer" /><button type="button" className="btn btn-ghost" onClick={() => setConfirmDelete(false)}>Cancel</button><button className="btn btn-danger">Permanently delete</button></div>
          </form>
        )}
      </section>
    </div>
  );
}

export function ReportsPage({ boardId }: { boardId: string }) {
  const [period, setPeriod] = useState<'weekly' | 'monthly'>('weekly');
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [report, setReport] = useState<Report | null>(null);
  const [board, setBoard] = useState<Board | null>(null);
  const [error, setError] = useState('');
  useEffect(() => { api.board(boardId).then(setBoard).catch(() => {}); }, [boardId]);
  useEffect(() => {
    setReport(null); setError('');
    api.report(boardId, period, date).then(setReport).catch(e => setError(e.message));
  }, [boardId, period, date]);
  const max = report ? Math.max(1, ...report.perAssignee.flatMap(a => [a.created, a.completed, a.open, a.overdue])) : 1;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Reports{board ? ` · ${board.name}` : ''}</h1>
        <Link to={`/boards/${boardId}`} className="btn btn-ghost">Back to board</Link>
      </div>
      <div className="filters">
        <label>Period<select value={period} onChange={e => setPeriod(e.target.value as 'weekly' | 'monthly')}><option value="weekly">Weekly</option><option value="monthly">Monthly</option></select></label>
        <label>Date<input type="date" value={date} onChange={e => setDate(e.target.value)} /></label>
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      {!report ? (!error && <Spinner />) : (
        <>
          <p className="muted">{fmtDate(report.from, false)} – {fmtDate(report.to, false)} · {report.timeZone}</p>
          <div className="stats">
            <Stat label="Created" value={report.created} /><Stat label="Completed" value={report.completed} />
            <Stat label="Open" value={report.open} /><Stat label="Overdue" value={report.overdue} tone="bad" />
            <Stat label="Completion rate" value={`${Math.round((report.completionRate ?? 0) * (report.completionRate <= 1 ? 100 : 1))}%`} />
            <Stat label="Median cycle time" value={report.medianCycleTimeHours == null ? '—' : `${report.medianCycleTimeHours.toFixed(1)} h`} />
          </div>
          <section className="panel">
            <h2>Summary</h2>
            <BarChart rows={[['Created', report.created, 'c1'], ['Completed', report.completed, 'c2'], ['Open', report.open, 'c3'], ['Overdue', report.overdue, 'c4']]} />
          </section>
          <section className="panel">
            <h2>Per assignee</h2>
            {report.perAssignee.length === 0 ? <p className="muted">No assigned tasks in this period.</p> : (
              <div className="per-assignee">
                <div className="legend"><span className="lg c1">created</span><span className="lg c2">completed</span><span className="lg c3">open</span><span className="lg c4">overdue</span></div>
                {report.perAssignee.map(a => (
                  <div key={a.userId} className="pa-row">
                    <span className="pa-name">{a.displayName}</span>
                    <div className="pa-bars" role="img" aria-label={`${a.displayName}: ${a.created} created, ${a.completed} completed, ${a.open} open, ${a.overdue} overdue`}>
                      {([['c1', a.created], ['c2', a.completed], ['c3', a.open], ['c4', a.overdue]] as const).map(([c, v]) => (
                        <div key={c} className={`bar ${c}`} style={{ width: `${(v / max) * 100}%` }}><span>{v}</span></div>
                      ))}
                    </div>
                  </div>
                ))}
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}

function Stat({ label, value, tone }: { label: string; value: number | string; tone?: string }) {
  return <div className={`stat ${tone ?? ''}`}><div className="stat-value">{value}</div><div className="stat-label">{label}</div></div>;
}

function BarChart({ rows }: { rows: [string, number, string][] }) {
  const max = Math.max(1, ...rows.map(r => r[1]));
  const h = 160, bw = 56, gap = 32;
  return (
    <svg className="chart" viewBox={`0 0 ${rows.length * (bw + gap) + gap} ${h + 60}`} role="img" aria-label={rows.map(r => `${r[0]} ${r[1]}`).join(', ')}>
      {rows.map(([label, v, c], i) => {
        const bh = (v / max) * h;
        const x = gap + i * (bw + gap);
        return (
          <g key={label}>
            <rect className={`svg-${c}`} x={x} y={h - bh + 24} width={bw} height={Math.max(bh, 1)} rx={4} />
            <text x={x + bw / 2} y={h - bh + 18} textAnchor="middle" className="svg-val">{v}</text>
            <text x={x + bw / 2} y={h + 48} textAnchor="middle" className="svg-label">{label}</text>
          </g>
        );
      })}
    </svg>
  );
}
