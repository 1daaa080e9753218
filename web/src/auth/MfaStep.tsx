// The second step of signing in: a code from the authenticator app, or a recovery code.
import { useState } from 'react';
import { api } from '../api/client';
import { navigate } from '../ui/router';
import { useFormSubmit } from './useFormSubmit';

export function MfaStep({ mfaToken, onRestart }: { mfaToken: string; onRestart: () => void }) {
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const { errors, setErrors, busy, submit } = useFormSubmit(async () => {
    await api.login2fa(mfaToken, recovery ? { recoveryCode: code.trim() } : { code: code.trim() });
    navigate('/');
  });
  const err = errors.code ?? errors.recoveryCode ?? errors.form;
  return (
    <form className="form" onSubmit={submit} aria-label="Two-factor code">
      <p className="muted">{recovery ? 'Enter one of your recovery codes. Each works once.' : 'Enter the 6-digit code from your authenticator app.'}</p>
      <label>{recovery ? 'Recovery code' : 'Code'}
        <input value={code} onChange={e => setCode(e.target.value)} required autoFocus autoComplete="one-time-code"
          inputMode={recovery ? 'text' : 'numeric'} pattern={recovery ? undefined : '[0-9 ]{6,7}'} />
      </label>
      {err && <span className="field-error" role="alert">{err}</span>}
      <button className="btn btn-primary wide" disabled={busy}>{busy ? 'Please wait…' : 'Verify'}</button>
      <p className="muted center">
        <button type="button" className="btn btn-ghost" onClick={() => { setRecovery(!recovery); setCode(''); setErrors({}); }}>
          {recovery ? 'Use a code from the app' : 'Use a recovery code'}</button>
        <button type="button" className="btn btn-ghost" onClick={onRestart}>Start over</button>
      </p>
    </form>
  );
}
