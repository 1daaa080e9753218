// Personal API tokens: create (name, read/write scope, optional expiry day), the new token shown once with a Copy
// button and a warning, the list (scope, hint, created, expiry, last use) and Revoke.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type { ApiToken, CreatedApiToken, TokenScope } from '../api/types';
import { fmtDate, timeAgo } from '../ui/format';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import { expiryOf, expiryProblem, expiryText } from './tokens';
import { FormError } from './useSubmit';
import { clearIfStill } from '../ui/forms';
import { limits } from '../api/limits';

export function TokensSection() {
  const toasts = useToasts();
  const [list, setList] = useState<ApiToken[] | 'failed' | null>(null);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<TokenScope>('read');
  const [expiry, setExpiry] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const tokenField = useRef<HTMLInputElement>(null);

  const load = () => api.tokens().then(setList, e => { setList('failed'); toasts.fail("Couldn't load your API tokens", e, 'Reload the page to try again.'); });
  useEffect(() => { void load(); }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    const problem = expiryProblem(expiry);
    if (problem) { setError(problem); return; }
    setError(''); setBusy(true);
    try {
      const sent = { name, expiry };
      const t = await api.createToken(sent.name.trim(), scope, expiryOf(sent.expiry));
      setCreated(t);
      setName(clearIfStill(sent.name)); setExpiry(clearIfStill(sent.expiry));
      void load();
    } catch (err) { setError((err as Error).message); } finally { setBusy(false); }
  };
  const copy = async () => {
    if (!created) return;
    try { await navigator.clipboard.writeText(created.token); toasts.show({ kind: 'success', text: 'Token copied' }); }
    catch (e) {
      tokenField.current?.select();
      toasts.fail("Couldn't copy the token", e, 'It is selected: press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  };
  const revoke = async (t: ApiToken) => {
    try {
      await api.revokeToken(t.id);
      setList(l => (Array.isArray(l) ? l.filter(x => x.id !== t.id) : l));
      if (created?.id === t.id) setCreated(null);
      toasts.show({ kind: 'success', text: `Revoked “${t.name}”: it stops working at once` });
    } catch (e) { toasts.fail(`Couldn't revoke “${t.name}”`, e, 'Reload the page and try again.'); }
  };

  return (
    <section className="panel" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p className="muted small">For scripts and integrations: send <code>Authorization: Bearer &lt;token&gt;</code>. A token acts as you on every board you are on; <em>read</em> tokens cannot change anything.</p>
      <form className="form" onSubmit={create} aria-label="Create an API token">
        <div className="row">
          <label className="grow">Token name<input value={name} onChange={e => setName(e.target.value)} required maxLength={limits.tokenName} placeholder="CI export" /></label>
          <label>Scope<select value={scope} onChange={e => setScope(e.target.value as TokenScope)}><option value="read">read</option><option value="write">write</option></select></label>
          <label>Expires (optional)<input type="date" value={expiry} onChange={e => setExpiry(e.target.value)} /></label>
        </div>
        <FormError text={error} />
        <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary" disabled={busy}>{busy ? 'Creating…' : 'Create token'}</button></div>
      </form>
      {created && (
        <div className="new-token" role="region" aria-label="Your new token">
          <p className="warning" role="status"><strong>Copy “{created.name}” now:</strong> it will not be shown again. Anyone with it can act as you ({created.scope}).</p>
          <div className="row">
            <input ref={tokenField} className="grow mono" readOnly value={created.token} aria-label="New token" onFocus={e => e.target.select()} />
            <button type="button" className="btn btn-primary" onClick={() => void copy()}>Copy</button>
            <button type="button" className="btn btn-ghost" onClick={() => setCreated(null)}>Done</button>
          </div>
        </div>
      )}
      {list === null ? <Spinner label="Loading tokens…" /> : list === 'failed' ? <p className="muted small">The list could not be loaded.</p>
        : list.length === 0 ? <p className="muted small">No tokens yet.</p> : (
          <ul className="member-list" aria-label="API tokens">
            {list.map(t => (
              <li key={t.id}>
                <div className="grow">
                  <div>{t.name} <span className="role-pill">{t.scope}</span> <code className="muted small">{t.hint}…</code></div>
                  <div className="muted small">
                    Created {fmtDate(t.createdAt, false)} · {expiryText(t.expiresAt, s => fmtDate(s, false))} · {t.lastUsedAt ? <>Last used <time dateTime={t.lastUsedAt} title={new Date(t.lastUsedAt).toLocaleString()}>{timeAgo(t.lastUsedAt)}</time></> : 'Never used'}
                  </div>
                </div>
                <button className="btn btn-danger-ghost" onClick={() => void revoke(t)} aria-label={`Revoke ${t.name}`}>Revoke</button>
              </li>
            ))}
          </ul>
        )}
    </section>
  );
}
