import { useEffect, useState } from 'react';
import { api, currentUser, setUser } from '../api/client';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import { FormError, useSubmit } from './useSubmit';

const ZONES: string[] = (() => {
  try { return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone'); }
  catch { return ['UTC']; } // an older browser: UTC only (the server accepts any IANA zone)
})();

export function ProfileSection() {
  const toasts = useToasts();
  const user = currentUser()!;
  const [name, setName] = useState(user.displayName);
  const [tz, setTz] = useState(user.timeZone ?? 'UTC');
  const [loaded, setLoaded] = useState(false);
  const [error, run] = useSubmit('Profile saved');
  useEffect(() => {
    api.me()
      .then(u => { setName(u.displayName); setTz(u.timeZone ?? 'UTC'); },
        e => toasts.fail("Couldn't load your profile", e, 'The form shows what this device last saw; reload the page before saving.'))
      .finally(() => setLoaded(true));
  }, [toasts]);
  return (
    <section className="panel">
      <h2>Profile</h2>
      {!loaded ? <Spinner /> : <form className="form" onSubmit={e => { e.preventDefault(); void run(async () => setUser(await api.updateMe({ displayName: name.trim(), timeZone: tz }))); }}>
        <label>Name<input value={name} onChange={e => setName(e.target.value)} required /></label>
        <label>Time zone<select value={tz} onChange={e => setTz(e.target.value)}>{(ZONES.includes(tz) ? ZONES : [tz, ...ZONES]).map(z => <option key={z}>{z}</option>)}</select></label>
        <FormError text={error} />
        <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary">Save profile</button></div>
      </form>}
    </section>
  );
}
