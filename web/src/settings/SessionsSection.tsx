// Where you are signed in: each session's device, address, first and last seen; end one, or every other.
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Session } from '../api/types';
import { useToasts } from '../ui/toasts';

/** A short name for a user agent: browser on system. */
export function deviceName(ua: string | null | undefined): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : ua.split(/[ /]/)[0];
  const system = /Windows/.test(ua) ? 'Windows' : /iPhone|iPad/.test(ua) ? 'iOS' : /Android/.test(ua) ? 'Android' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  return system ? `${browser} on ${system}` : browser;
}

export function SessionsSection() {
  const toasts = useToasts();
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const load = () => api.sessions().then(setSessions, e => toasts.fail('Could not load your sessions', e, 'Reload the page.'));
  useEffect(() => { void load(); }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const revoke = (s: Session) => void api.revokeSession(s.id).then(load, e => toasts.fail('Could not sign that session out', e, 'Try again.'));
  const revokeOthers = () => void api.revokeOtherSessions().then(load, e => toasts.fail('Could not sign the other sessions out', e, 'Try again.'));
  const when = (iso: string) => new Date(iso).toLocaleString();
  return (
    <section className="panel" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      {sessions && <ul className="sessions" aria-label="Sessions">
        {sessions.map(s => (
          <li key={s.id} className="session-row">
            <div>
              <strong title={s.userAgent ?? ''}>{deviceName(s.userAgent)}</strong>{s.current && <span className="badge"> This device</span>}
              <div className="muted">{s.address ?? 'unknown address'} · signed in {when(s.createdAt)} · last seen {when(s.lastSeenAt)}</div>
            </div>
            {!s.current && <button className="btn btn-ghost" onClick={() => revoke(s)} aria-label={`Sign out ${deviceName(s.userAgent)}`}>Sign out</button>}
          </li>))}
      </ul>}
      {sessions && sessions.length > 1 && <div className="dialog-actions"><span className="spacer" /><button className="btn" onClick={revokeOthers}>Sign out all other sessions</button></div>}
    </section>
  );
}
