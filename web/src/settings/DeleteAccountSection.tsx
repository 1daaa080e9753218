import { useState } from 'react';
import { api } from '../api/client';
import { navigate } from '../ui/router';
import { FormError, useSubmit } from './useSubmit';

export function DeleteAccountSection() {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState(false);
  const [error, run] = useSubmit('Account deleted');
  return (
    <section className="panel danger">
      <h2>Delete account</h2>
      <p className="muted">This signs you out everywhere and removes you from all boards. Boards you alone own pass to their admins.</p>
      {!confirm ? <button className="btn btn-danger" onClick={() => setConfirm(true)}>Delete my account…</button> : (
        <form className="form" onSubmit={e => { e.preventDefault(); void run(async () => { await api.deleteMe(password); api.clearSession(); navigate('/login'); }); }}>
          <label>Confirm with your password<input type="password" value={password} onChange={e => setPassword(e.target.value)} required autoComplete="current-password" /></label>
          <FormError text={error} />
          <div className="dialog-actions"><span className="spacer" /><button type="button" className="btn btn-ghost" onClick={() => setConfirm(false)}>Cancel</button><button className="btn btn-danger">Permanently delete</button></div>
        </form>
      )}
    </section>
  );
}
