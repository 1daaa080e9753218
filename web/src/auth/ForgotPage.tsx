// "Forgot password": asks for a reset link. The answer is the same whether or not the address has an account.
import { useState } from 'react';
import { api } from '../api/client';
import { Link } from '../ui/router';
import { useFormSubmit } from './useFormSubmit';
import { BrandMark } from '../ui/icons';

export function ForgotPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const { errors, busy, submit } = useFormSubmit(async () => { await api.forgot(email.trim()); setSent(true); });
  return (
    <div className="auth-card">
      <div className="brand big"><BrandMark /> TaskHub</div>
      <h1>Reset your password</h1>
      {sent
        ? <p role="status">If an account uses {email.trim()}, an email with a reset link is on its way. The link works once, for an hour.</p>
        : <form className="form" onSubmit={submit} aria-label="Forgot password">
            <label>Email<input type="email" value={email} onChange={e => setEmail(e.target.value)} required autoComplete="email" />
              {errors.email && <span className="field-error" role="alert">{errors.email}</span>}</label>
            {errors.form && <span className="field-error" role="alert">{errors.form}</span>}
            <button className="btn btn-primary wide" disabled={busy}>{busy ? 'Please wait…' : 'Email me a reset link'}</button>
          </form>}
      <p className="muted center"><Link to="/login">Back to log in</Link></p>
    </div>
  );
}
