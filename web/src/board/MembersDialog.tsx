// Members of the board; owners and admins invite by email and change roles.
import { useState } from 'react';
import { api } from '../api/client';
import type { Member, Role } from '../api/types';
import { Avatar } from '../ui/Avatar';
import { Dialog } from '../ui/Dialog';
import { useToasts } from '../ui/toasts';
import { clearIfStill } from '../ui/forms';

interface Props { boardId: string; role: Role; members: readonly Member[]; onChanged: () => Promise<unknown>; onClose: () => void }

export function MembersDialog({ boardId, role, members, onChanged, onClose }: Props) {
  const toasts = useToasts();
  const [email, setEmail] = useState('');
  const [newRole, setNewRole] = useState<Role>('member');
  const [error, setError] = useState('');
  const manage = role === 'owner' || role === 'admin';
  const roles: Role[] = role === 'owner' ? ['owner', 'admin', 'member', 'viewer'] : ['admin', 'member', 'viewer'];
  const invite = async (e: React.FormEvent) => {
    e.preventDefault();
    setError('');
    const sent = email;
    try { await api.addMember(boardId, sent.trim(), newRole); setEmail(clearIfStill(sent)); await onChanged(); toasts.show({ kind: 'success', text: `Added ${sent.trim()}` }); }
    catch (err) { setError((err as Error).message); }
  };
  const change = async (m: Member, r: Role) => {
    try { await api.setRole(boardId, m.userId, r); await onChanged(); toasts.show({ kind: 'success', text: `${m.displayName} is now ${r}` }); }
    catch (err) { toasts.fail(`Couldn't make ${m.displayName} ${r}`, err, 'Check your own role on this board and try again.'); }
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
