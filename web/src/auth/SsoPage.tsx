// Back from a provider (/sso?code=… or /sso?link=…&provider=…): exchange the one-time code for our tokens, or confirm
// the existing account's password to link it. The code leaves the address bar at once.
import { useEffect, useRef, useState } from 'react';
import { api, type LoginResult } from '../api/client';
import { Link, navigate } from '../ui/router';
import { fieldErrors } from './fieldErrors';
import { useFormSubmit } from './useFormSubmit';
import { MfaStep } from './MfaStep';
import { BrandMark } from '../ui/icons';

export function SsoPage() {
  const params = useRef(new URLSearchParams(location.search)).current;
  const code = params.get('code');
  const link = params.get('link');
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  const done = (r: LoginResult) => { if (r.mfaToken) setMfaToken(r.mfaToken); else navigate('/', { replace: true }); };
  const { errors, setErrors, busy, submit: confirm } = useFormSubmit(async () => done(await api.oidcLink(link!, password)));
  const started = useRef(false);
  useEffect(() => {
    history.replaceState(null, '', '/sso'); // the code is single use: keep it out of history
    if (code && !started.current) {
      started.current = true;
      api.oidcExchange(code).then(done, err => setErrors(fieldErrors(err)));
    }
  }, [code]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="auth-card">
      <div className="brand big"><BrandMark /> TaskHub</div>
      <h1>{link ? 'Link your account' : 'Signing you in…'}</h1>
      {mfaToken ? <MfaStep mfaToken={mfaToken} onRestart={() => navigate('/login')} />
        : link ? <form className="form" onSubmit={confirm} aria-label="Link account">
            <p className="muted">A TaskHub account with your email already exists. Enter its password once to sign in with {params.get('provider') ?? 'your provider'} from now on.</p>
            <label>Password<input type="password" value={password} onChange={e => setPassword(e.target.value)} required autoComplete="current-password" />
              {errors.password && <span className="field-error" role="alert">{errors.password}</span>}</label>
            {errors.form && <span className="field-error" role="alert">{errors.form}</span>}
            <button className="btn btn-primary wide" disabled={busy}>{busy ? 'Please wait…' : 'Link and sign in'}</button>
          </form>
        : errors.form ? <p className="field-error" role="alert">{errors.form}</p> : null}
      <p className="muted center"><Link to="/login">Back to log in</Link></p>
    </div>
  );
}
