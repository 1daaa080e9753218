// Log in / sign up (sign-up sends the browser's time zone: timeZone.ts); provider buttons; the two-factor step.
import { useState } from 'react';
import { api } from '../api/client';
import { Link, navigate, useQueryParam } from '../ui/router';
import { useTitle } from '../ui/title';
import { useFormSubmit } from './useFormSubmit';
import { MfaStep } from './MfaStep';
import { safeNext } from './next';
import { ProviderButtons, ssoErrorText, useAuthConfig } from './ProviderButtons';
import { withTimeZoneFallback } from './timeZone';
import { BrandMark } from '../ui/icons';

/**
 * `?email=` prefills the address (an invitation's); `?next=` is where to go once signed in (a path on this site).
 * "SSO only" (the server's `passwordSignIn` is false): only the provider buttons, on the log-in and sign-up routes alike.
 */
export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const next = useQueryParam('next');
  const [email, setEmail] = useState(() => new URLSearchParams(location.search).get('email') ?? '');
  useTitle(mode === 'signup' ? 'Sign up' : 'Log in');
  const keep = new URLSearchParams(location.search).toString();
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const ssoError = ssoErrorText(useQueryParam('ssoError'));
  const config = useAuthConfig();
  const ssoOnly = config?.passwordSignIn === false;
  const { errors, busy, submit } = useFormSubmit(async () => {
    const result = mode === 'signup'
      ? await withTimeZoneFallback(tz => api.register(email.trim(), password, name.trim(), tz))
      : await api.login(email.trim(), password);
    if (result.mfaToken) setMfaToken(result.mfaToken);
    else navigate(safeNext(next));
  });
  const err = (k: string) => errors[k] && <span className="field-error" role="alert">{errors[k]}</span>;
  return (
    <div className="auth-card">
      <div className="brand big"><BrandMark /> TaskHub</div>
      <h1>{mfaToken ? 'Two-factor sign-in' : ssoOnly ? 'Sign in' : mode === 'signup' ? 'Create your account' : 'Welcome back'}</h1>
      {mfaToken ? <MfaStep mfaToken={mfaToken} onRestart={() => { setMfaToken(null); setPassword(''); }} /> : !config ? <p className="muted center" role="status">Loading…</p> : ssoOnly ? <>
        {ssoError && <p className="field-error" role="alert">{ssoError}</p>}
        <p className="muted center">Sign in with your organisation's account.</p>
        <ProviderButtons config={config} or={false} />
        {config.providers.length === 0 && <p className="field-error" role="alert">No single sign-on provider is set up here. Ask your administrator.</p>}
      </> : <>
        {ssoError && <p className="field-error" role="alert">{ssoError}</p>}
        {mode === 'login' && <ProviderButtons config={config} />}
        <form className="form" onSubmit={submit} aria-label={mode === 'signup' ? 'Sign up' : 'Log in'}>
          {mode === 'signup' && <label>Name<input value={name} onChange={e => setName(e.target.value)} required autoComplete="name" />{err('displayName')}</label>}
          <label>Email<input type="email" value={email} onChange={e => setEmail(e.target.value)} required autoComplete="email" />{err('email')}</label>
          <label>Password<input type="password" value={password} onChange={e => setPassword(e.target.value)} required autoComplete={mode === 'signup' ? 'new-password' : 'current-password'} />
            {mode === 'signup' && <span className="hint">At least 8 characters, letters plus digits or symbols.</span>}{err('password')}</label>
          {err('form')}
          <button className="btn btn-primary wide" disabled={busy}>{busy ? 'Please wait…' : mode === 'signup' ? 'Sign up' : 'Log in'}</button>
        </form>
        <p className="muted center">
          {mode === 'signup' ? <>Already have an account? <Link to={`/login${keep ? `?${keep}` : ''}`}>Log in</Link></>
            : <>New here? <Link to={`/signup${keep ? `?${keep}` : ''}`}>Create an account</Link> · <Link to="/forgot-password">Forgot password?</Link></>}
        </p>
      </>}
    </div>
  );
}
