// A board's webhooks (owners and admins): the list (URL, format, events, an Active switch, the last delivery), the
// add form (URL, secret, format, optional event types), Delete, Send test event, and each hook's last 20 deliveries.
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { BOARD_EVENT_TYPES } from '../api/types';
import type { Board, Webhook, WebhookDelivery, WebhookFormat } from '../api/types';
import { FormError } from '../settings/useSubmit';
import { fmtDate, timeAgo } from '../ui/format';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import { clearIfStill } from '../ui/forms';
import { limits } from '../api/limits';

/** The last delivery in words: "HTTP 200 · 5 min ago", or the error. */
export function lastDeliveryText(h: Webhook): string {
  const d = h.lastDelivery;
  if (!d) return 'No deliveries yet';
  const what = d.error ? `Failed: ${d.error}` : d.status != null ? `HTTP ${d.status}` : 'No answer';
  return `${what} · ${timeAgo(d.at)}`;
}

export function WebhooksSection({ board }: { board: Board }) {
  const toasts = useToasts();
  const [list, setList] = useState<Webhook[] | 'failed' | null>(null);
  const load = useCallback(async () => {
    try { setList(await api.webhooks(board.id)); }
    catch (e) { setList('failed'); toasts.fail("Couldn't load the board's webhooks", e, 'Reload the page to try again.'); }
  }, [board.id, toasts]);
  useEffect(() => { void load(); }, [load]);
  const replace = (h: Webhook) => setList(l => (Array.isArray(l) ? l.map(x => (x.id === h.id ? h : x)) : l));

  return (
    <section className="panel" aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhooks</h2>
      <p className="muted small">TaskHub POSTs each board event to these addresses, signed with the secret
        (<code>X-TaskHub-Signature</code>). A hook that keeps failing is switched off and the owners are emailed.</p>
      {list === null ? <Spinner label="Loading webhooks…" /> : list === 'failed' ? null : list.length === 0 ? <p className="muted">No webhooks yet.</p> : (
        <ul className="hook-list" aria-label="Webhooks">
          {list.map(h => <HookRow key={h.id} hook={h} onChanged={replace} onDeleted={() => setList(l => (Array.isArray(l) ? l.filter(x => x.id !== h.id) : l))} />)}
        </ul>
      )}
      <AddHookForm boardId={board.id} onAdded={h => setList(l => [...(Array.isArray(l) ? l : []), h])} />
    </section>
  );
}

function HookRow({ hook, onChanged, onDeleted }: { hook: Webhook; onChanged: (h: Webhook) => void; onDeleted: () => void }) {
  const toasts = useToasts();
  const [log, setLog] = useState<WebhookDelivery[] | null>(null);
  const [open, setOpen] = useState(false);
  const loadLog = async () => {
    try { setLog(await api.webhookDeliveries(hook.id)); }
    catch (e) { toasts.fail("Couldn't load the deliveries", e, 'Try again in a moment.'); }
  };
  const toggle = async () => {
    try { onChanged(await api.changeWebhook(hook.id, { active: !hook.active })); toasts.show({ kind: 'success', text: hook.active ? 'Webhook paused' : 'Webhook switched on' }); }
    catch (e) { toasts.fail(`Couldn't ${hook.active ? 'pause' : 'switch on'} the webhook`, e, 'Reload the page and try again.'); }
  };
  const test = async () => {
    try {
      await api.testWebhook(hook.id);
      toasts.show({ kind: 'success', text: 'Test event queued: see the deliveries in a moment' });
      if (open) setTimeout(() => void loadLog(), 1500);
    } catch (e) { toasts.fail("Couldn't send a test event", e, 'A paused webhook sends nothing: switch it on first.'); }
  };
  const remove = async () => {
    try { await api.deleteWebhook(hook.id); onDeleted(); toasts.show({ kind: 'success', text: `Deleted the webhook to ${hook.url}` }); }
    catch (e) { toasts.fail("Couldn't delete the webhook", e, 'Reload the page and try again.'); }
  };
  const showLog = () => { const next = !open; setOpen(next); if (next) void loadLog(); };
  return (
    <li className="hook">
      <div className="hook-head">
        <div className="grow">
          <div className="hook-url">{hook.url}</div>
          <div className="muted small">
            {hook.format === 'slack' ? 'Slack' : 'JSON'} · {hook.events.length === 0 ? 'all events' : hook.events.join(', ')}
          </div>
          <div className="small" data-testid="last-delivery">Last delivery: {lastDeliveryText(hook)}</div>
        </div>
        <label className="switch"><input type="checkbox" checked={hook.active} onChange={() => void toggle()} /> Active</label>
      </div>
      <div className="hook-actions">
        <button className="btn btn-ghost" onClick={() => void test()}>Send test event</button>
        <button className="btn btn-ghost" aria-expanded={open} onClick={showLog}>{open ? 'Hide deliveries' : 'Deliveries'}</button>
        <button className="btn btn-danger-ghost" onClick={() => void remove()} aria-label={`Delete the webhook to ${hook.url}`}>Delete</button>
      </div>
      {open && (log === null ? <Spinner label="Loading deliveries…" /> : log.length === 0 ? <p className="muted small">No deliveries yet.</p> : (
        <table className="delivery-log">
          <caption className="sr-only">Last {log.length} deliveries to {hook.url}</caption>
          <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Queued</th><th scope="col">Error</th></tr></thead>
          <tbody>
            {log.map(d => (
              <tr key={d.deliveryId}>
                <td>{d.event}</td><td><span className={`delivery-${d.status}`}>{d.status}</span></td><td>{d.attempts}</td>
                <td title={fmtDate(d.createdAt)}>{timeAgo(d.createdAt)}</td><td className="small">{d.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </li>
  );
}

function AddHookForm({ boardId, onAdded }: { boardId: string; onAdded: (h: Webhook) => void }) {
  const toasts = useToasts();
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [format, setFormat] = useState<WebhookFormat>('json');
  const [events, setEvents] = useState<string[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setErrors({}); setBusy(true);
    const sent = { url, secret };
    try {
      const h = await api.createWebhook(boardId, { url: sent.url.trim(), secret: sent.secret, format, events: events.length ? events : null });
      onAdded(h);
      setUrl(clearIfStill(sent.url)); setSecret(clearIfStill(sent.secret)); setEvents([]);
      toasts.show({ kind: 'success', text: `Webhook added: ${h.url}` });
    } catch (err) {
      const fields = (err as { fields?: Record<string, string[]> }).fields ?? {};
      const byField = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.toLowerCase(), v[0]]));
      setErrors(Object.keys(byField).length ? byField : { form: (err as Error).message });
    } finally { setBusy(false); }
  };
  const flip = (t: string) => setEvents(ev => (ev.includes(t) ? ev.filter(x => x !== t) : [...ev, t]));
  return (
    <form className="form" onSubmit={submit} aria-label="Add a webhook">
      <h3>Add a webhook</h3>
      <label>Payload URL
        <input type="url" value={url} onChange={e => setUrl(e.target.value)} required placeholder="https://example.com/taskhub"
          aria-invalid={!!errors.url} aria-describedby={errors.url ? 'hook-url-error' : undefined} />
      </label>
      {errors.url && <span id="hook-url-error" className="field-error" role="alert">{errors.url}</span>}
      <div className="row">
        <label>Secret ({limits.webhookSecretMin}–{limits.webhookSecretMax} characters)
          <input type="password" autoComplete="off" value={secret} onChange={e => setSecret(e.target.value)} required minLength={limits.webhookSecretMin} maxLength={limits.webhookSecretMax}
            aria-invalid={!!errors.secret} aria-describedby={errors.secret ? 'hook-secret-error' : undefined} />
        </label>
        <label>Format
          <select value={format} onChange={e => setFormat(e.target.value as WebhookFormat)}>
            <option value="json">JSON (the board event)</option>
            <option value="slack">Slack ({'{"text": …}'})</option>
          </select>
        </label>
      </div>
      {errors.secret && <span id="hook-secret-error" className="field-error" role="alert">{errors.secret}</span>}
      <fieldset className="event-types">
        <legend>Events <span className="muted small">(none ticked: all of them but ColumnRespread, the board’s own bookkeeping)</span></legend>
        {BOARD_EVENT_TYPES.map(t => (
          <label key={t} className="check"><input type="checkbox" checked={events.includes(t)} onChange={() => flip(t)} /> {t}</label>
        ))}
      </fieldset>
      {errors.events && <span className="field-error" role="alert">{errors.events}</span>}
      <FormError text={errors.form ?? errors.format ?? ''} />
      <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary" disabled={busy}>Add webhook</button></div>
    </form>
  );
}
