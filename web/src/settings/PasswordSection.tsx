import { useState } from 'react';
import { api } from '../api/client';
import { FormError, useSubmit } from './useSubmit';

export function PasswordSection() {
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const [error, run] = useSubmit('Password changed');
  return (
    <section className="panel">
      <h2>Password</h2>
      <form className="form" onSubmit={e => { e.preventDefault(); void run(async () => { await api.updateMe({ currentPassword: cur, newPassword: next }); setCur(''); setNext(''); }); }}>
        <label>Current password<input type="password" value={cur} onChange={e => setCur(e.target.value)} required autoComplete="current-password" /></label>
        <label>New password<input type="password" value={next} onChange={e => setNext(e.target.value)} required autoComplete="new-password" /></label>
        <FormError text={error} />
        <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary">Change password</button></div>
      </form>
    </section>
  );
}
