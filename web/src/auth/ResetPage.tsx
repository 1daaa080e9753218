// The emailed reset link lands here (/reset-password?token=…): choose a new password; every session is signed out.
import { useState } from 'react';
import { api } from '../api/client';
import { Link, navigate, useQueryParam } from '../ui/router';
import { useToasts } from '../ui/toasts';
import { useFormSubmit } from './useFormSubmit';
import { BrandMark } from '../ui/icons';

export function ResetPage() {
  const token = useQueryParam('token') ?? '';
  const toasts = useToasts();
  const [password, setPassword] = useState('');
  const { errors, busy, submit } = useFormSubmit(async () => {
    await api.reset(token, password);
    api.clearSession();
    toasts.show({ kind: 'success', text: 'Password changed. Every session was signed out: log in with the new password.' });
    navigate('/login', { replace: true });
  });
  return (
    <div className="auth-card">
      <div className="brand big"><BrandMark /> TaskHub</div>
      <h1>Choose a new password</h1>
      <form className="form" onSubmit={submit} aria-label="Reset password">
        <label>New password<input type="password" value={password} onChange={e => setPassword(e.target.value)} required autoComplete="new-password" />
          <span className="hint">At least 8 characters, letters plus digits or symbols.</span>
          {errors.newPassword && <span className="field-error" role="alert">{errors.newPassword}</span>}</label>
        {errors.token && <span className="field-error" role="alert">{errors.token} <Link to="/forgot-password">Ask for a new link</Link></span>}
        {errors.form && <span className="field-error" role="alert">{errors.form}</span>}
        <button className="btn btn-primary wide" disabled={busy || !token}>{busy ? 'Please wait…' : 'Set password'}</button>
      </form>
    </div>
  );
}
