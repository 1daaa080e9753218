// A board's settings (/boards/{id}/settings): rename and delete (owners; deleting asks for the board's name),
// members (role changes, removal, making someone owner and then stepping down), leaving, and invitations by email
// (owners and admins: invite with a role, the pending list, revoke), webhooks (owners and admins) and export.
import { useCallback, useEffect, useState } from 'react';
import { api, currentUser } from '../api/client';
import type { Board, Invitation, Member, Role } from '../api/types';
import { FormError, useSubmit } from '../settings/useSubmit';
import { Avatar } from '../ui/Avatar';
import { fmtDate } from '../ui/format';
import { Link, navigate } from '../ui/router';
import { Spinner } from '../ui/Spinner';
import { useTitle } from '../ui/title';
import { useToasts } from '../ui/toasts';
import { failure } from '../ui/errors';
import { ExportSection } from './ExportSection';
import { WebhooksSection } from './WebhooksSection';
import { clearIfStill } from '../ui/forms';
import { StaleChoice } from '../ui/StaleChoice';
import { useVersionedEdit } from '../ui/versionedEdit';
import { limits } from '../api/limits';

const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer'];

export function BoardSettingsPage({ boardId }: { boardId: string }) {
  const toasts = useToasts();
  const [board, setBoard] = useState<Board | null>(null);
  const [members, setMembers] = useState<Member[]>([]);
  const [error, setError] = useState('');
  useTitle(board ? `${board.name} settings` : 'Board settings');

  const load = useCallback(async () => {
    try {
      const [b, m] = await Promise.all([api.board(boardId), api.members(boardId)]);
      setBoard(b); setMembers(m);
    } catch (e) { setError(failure("Couldn't load the board's settings", e, 'Check the link, or go back to your boards.')); }
  }, [boardId]);
  useEffect(() => { void load(); }, [load]);

  if (error) return <div className="page narrow"><p className="empty" role="alert">{error}</p><Link to="/">Back to boards</Link></div>;
  if (!board) return <div className="page"><Spinner label="Loading settings…" /></div>;
  const manage = board.role === 'owner' || board.role === 'admin';
  return (
    <div className="page narrow">
      <div className="page-head">
        <h1>{board.name}: settings</h1>
        <Link to={`/boards/${board.id}`} className="btn btn-ghost">Back to the board</Link>
      </div>
      {board.role === 'owner' && <RenameSection board={board} onRenamed={b => setBoard({ ...board, name: b.name, version: b.version })} />}
      <MembersSection board={board} members={members} reload={load} toasts={toasts} />
      {manage && <InvitationsSection board={board} />}
      {manage && <WebhooksSection board={board} />}
      <ExportSection board={board} />
      <LeaveSection board={board} members={members} />
      {board.role === 'owner' && <DeleteSection board={board} />}
    </div>
  );
}

const NAME = ['name'] as const;
const boardName = (b: Board) => ({ name: b.name });

/** The board's name: renamed from the version loaded; another owner's rename saved meanwhile is shown beside the name
 * typed here to choose (412), and nothing typed is lost. */
function RenameSection({ board, onRenamed }: { board: Board; onRenamed: (b: Board) => void }) {
  const edit = useVersionedEdit(board, NAME, boardName);
  const name = edit.form.name;
  const [error, run] = useSubmit('Board renamed');
  const rename = () => void run(async () => {
    const b = await edit.save((_, version) => api.renameBoard(board.id, name.trim(), version));
    if (!b) throw new Error('Another owner renamed the board while you were editing: choose which name to keep.');
    onRenamed(b);
  });
  return (
    <section className="panel">
      <h2>Name</h2>
      <form className="form" aria-label="Rename the board" onSubmit={e => { e.preventDefault(); rename(); }}>
        <label>Board name<input value={name} onChange={e => edit.set('name', e.target.value)} required maxLength={limits.boardName} /></label>
        {edit.conflict && <StaleChoice what="board name" conflicts={edit.conflict.fields} show={(_, v) => `“${v}”`}
          onSaveMine={rename} onTakeTheirs={edit.takeTheirs} />}
        <FormError text={error} />
        <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary" disabled={!name.trim() || (name.trim() === board.name && !edit.conflict)}>Rename</button></div>
      </form>
    </section>
  );
}

function MembersSection({ board, members, reload, toasts }: { board: Board; members: Member[]; reload: () => Promise<void>; toasts: ReturnType<typeof useToasts> }) {
  const me = currentUser();
  const [stepDown, setStepDown] = useState<string | null>(null); // the new owner's name, after a transfer
  const manage = board.role === 'owner' || board.role === 'admin';
  const assignable = board.role === 'owner' ? ROLES : ROLES.filter(r => r !== 'owner');
  const setRole = async (m: Member, role: Role) => {
    try {
      await api.setRole(board.id, m.userId, role);
      await reload();
      toasts.show({ kind: 'success', text: `${m.displayName} is now ${role === 'admin' ? 'an' : 'a'} ${role}` });
      if (role === 'owner' && m.userId !== me?.id) setStepDown(m.displayName);
    } catch (e) { toasts.fail(`Couldn't make ${m.displayName} ${role}`, e, 'Check your own role on this board and try again.'); await reload(); }
  };
  const remove = async (m: Member) => {
    try { await api.removeMember(board.id, m.userId); await reload(); toasts.show({ kind: 'success', text: `Removed ${m.displayName} from the board` }); }
    catch (e) { toasts.fail(`Couldn't remove ${m.displayName}`, e, 'Owners can remove anyone, admins everyone but owners.'); }
  };
  const stepDownNow = async () => {
    if (!me) return;
    try { await api.setRole(board.id, me.id, 'admin'); setStepDown(null); await reload(); toasts.show({ kind: 'success', text: 'You are now an admin of this board' }); }
    catch (e) { toasts.fail("Couldn't step down", e, 'A board needs an owner: make someone else owner first.'); }
  };
  return (
    <section className="panel">
      <h2>Members</h2>
      {stepDown && (
        <div className="banner" role="status">
          <span>{stepDown} is now an owner. Stay an owner too, or step down to admin?</span>
          <span className="choice">
            <button className="btn btn-ghost" onClick={() => setStepDown(null)}>Stay an owner</button>
            <button className="btn btn-primary" onClick={() => void stepDownNow()}>Step down to admin</button>
          </span>
        </div>
      )}
      <ul className="member-list" aria-label="Members">
        {members.map(m => {
          const isMe = m.userId === me?.id;
          const canChange = manage && !isMe && (m.role !== 'owner' || board.role === 'owner');
          return (
            <li key={m.userId}>
              <Avatar name={m.displayName} id={m.userId} size={30} />
              <div className="grow"><div>{m.displayName}{isMe && <span className="muted"> (you)</span>}</div><div className="muted small">{m.email}</div></div>
              {canChange ? (
                <>
                  <select aria-label={`Role of ${m.displayName}`} value={m.role} onChange={e => void setRole(m, e.target.value as Role)}>
                    {(assignable.includes(m.role) ? assignable : [m.role, ...assignable]).map(r => <option key={r}>{r}</option>)}
                  </select>
                  {board.role === 'owner' && m.role !== 'owner' && <button className="btn btn-ghost" onClick={() => void setRole(m, 'owner')} aria-label={`Make ${m.displayName} an owner`}>Make owner</button>}
                  <button className="btn btn-danger-ghost" onClick={() => void remove(m)} aria-label={`Remove ${m.displayName}`}>Remove</button>
                </>
              ) : <span className="role-pill">{m.role}</span>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function InvitationsSection({ board }: { board: Board }) {
  const toasts = useToasts();
  const [list, setList] = useState<Invitation[] | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const roles = board.role === 'owner' ? ROLES : ROLES.filter(r => r !== 'owner');
  const load = useCallback(async () => {
    try { setList(await api.invitations(board.id)); }
    catch (e) { setList([]); toasts.fail("Couldn't load the pending invitations", e, 'Reload the page to try again.'); }
  }, [board.id, toasts]);
  useEffect(() => { void load(); }, [load]);
  const invite = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(''); setBusy(true);
    const sent = email;
    try {
      const inv = await api.invite(board.id, sent.trim(), role);
      setEmail(clearIfStill(sent));
      setList(l => [...(l ?? []).filter(x => x.email.toLowerCase() !== inv.email.toLowerCase()), inv]);
      toasts.show({ kind: 'success', text: `Invitation sent to ${inv.email}` });
    } catch (err) { setError((err as Error).message); } finally { setBusy(false); }
  };
  const revoke = async (inv: Invitation) => {
    try { await api.revokeInvitation(inv.id); setList(l => (l ?? []).filter(x => x.id !== inv.id)); toasts.show({ kind: 'success', text: `Revoked the invitation for ${inv.email}` }); }
    catch (err) { toasts.fail(`Couldn't revoke the invitation for ${inv.email}`, err, 'It may have been accepted already: reload to see.'); }
  };
  return (
    <section className="panel">
      <h2>Invitations</h2>
      <p className="muted small">Invite anyone by email, with or without an account: the email has a link to join this board.</p>
      <form className="form" onSubmit={invite} aria-label="Invite by email">
        <div className="row">
          <label className="grow">Email address<input type="email" required value={email} onChange={e => setEmail(e.target.value)} placeholder="name@example.com" /></label>
          <label>Invite as<select value={role} onChange={e => setRole(e.target.value as Role)}>{roles.map(r => <option key={r}>{r}</option>)}</select></label>
        </div>
        <FormError text={error} />
        <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary" disabled={busy}>{busy ? 'Sending…' : 'Send invitation'}</button></div>
      </form>
      <h3 className="small">Pending</h3>
      {list === null ? <Spinner label="Loading invitations…" /> : list.length === 0 ? <p className="muted small">No pending invitations.</p> : (
        <ul className="member-list" aria-label="Pending invitations">
          {list.map(inv => (
            <li key={inv.id}>
              <div className="grow"><div>{inv.email}</div><div className="muted small">{inv.role} · sent {fmtDate(inv.createdAt)} · expires {fmtDate(inv.expiresAt, false)}</div></div>
              <button className="btn btn-danger-ghost" onClick={() => void revoke(inv)} aria-label={`Revoke the invitation for ${inv.email}`}>Revoke</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function LeaveSection({ board, members }: { board: Board; members: Member[] }) {
  const toasts = useToasts();
  const me = currentUser();
  const lastOwner = board.role === 'owner' && members.filter(m => m.role === 'owner').length <= 1;
  const leave = async () => {
    if (!me) return;
    try { await api.removeMember(board.id, me.id); toasts.show({ kind: 'success', text: `You left “${board.name}”` }); navigate('/'); }
    catch (e) { toasts.fail(`Couldn't leave “${board.name}”`, e, 'A board needs an owner: make someone else owner first, or delete the board.'); }
  };
  return (
    <section className="panel">
      <h2>Leave the board</h2>
      {lastOwner
        ? <p className="muted small">You are its only owner: make someone else owner first (Members, above), or delete the board.</p>
        : <p className="muted small">You lose access to its tasks; someone with the right role can add you again.</p>}
      <button className="btn btn-danger-ghost" onClick={() => void leave()} disabled={lastOwner}>Leave “{board.name}”</button>
    </section>
  );
}

function DeleteSection({ board }: { board: Board }) {
  const [typed, setTyped] = useState('');
  const [open, setOpen] = useState(false);
  const [error, run] = useSubmit(`Deleted “${board.name}”`);
  const matches = typed.trim() === board.name.trim();
  return (
    <section className="panel danger">
      <h2>Delete the board</h2>
      <p className="muted">Deletes the board with all its tasks, comments and files for everyone. This cannot be undone.</p>
      {!open ? <button className="btn btn-danger" onClick={() => setOpen(true)}>Delete this board…</button> : (
        <form className="form" aria-label="Delete the board" onSubmit={e => { e.preventDefault(); if (matches) void run(async () => { await api.deleteBoard(board.id); navigate('/'); }); }}>
          <label>Type the board's name, <strong className="keep-case">{board.name}</strong>, to confirm
            <input value={typed} onChange={e => setTyped(e.target.value)} autoComplete="off" aria-describedby="delete-board-hint" />
          </label>
          <span id="delete-board-hint" className="hint">The Delete button works once the name matches.</span>
          <FormError text={error} />
          <div className="dialog-actions"><span className="spacer" /><button type="button" className="btn btn-ghost" onClick={() => { setOpen(false); setTyped(''); }}>Cancel</button>
            <button className="btn btn-danger" disabled={!matches}>Delete the board</button></div>
        </form>
      )}
    </section>
  );
}
