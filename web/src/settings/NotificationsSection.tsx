import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Digest, NotificationSettings } from '../api/types';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import { FormError, useSubmit } from './useSubmit';

const DIGESTS: Digest[] = ['off', 'daily', 'weekly', 'monthly'];

export function NotificationsSection() {
  const toasts = useToasts();
  const [notif, setNotif] = useState<NotificationSettings | 'failed' | null>(null);
  const [error, run] = useSubmit('Notification settings saved');
  useEffect(() => {
    api.notifications().then(setNotif, e => {
      setNotif('failed');
      toasts.fail("Couldn't load your notification settings", e, 'Reload the page to change them.');
    });
  }, [toasts]);
  return (
    <section className="panel">
      <h2>Notifications</h2>
      {!notif ? <Spinner /> : notif === 'failed' ? <p className="muted">Notification settings could not be loaded.</p> : (
        <form className="form" onSubmit={e => { e.preventDefault(); void run(() => api.saveNotifications(notif)); }}>
          <label className="check"><input type="checkbox" checked={notif.emailOnChange} onChange={e => setNotif({ ...notif, emailOnChange: e.target.checked })} /> Email me when my tasks change</label>
          <div className="row">
            <label>Digest<select value={notif.digest} onChange={e => setNotif({ ...notif, digest: e.target.value as Digest })}>
              {DIGESTS.map(d => <option key={d}>{d}</option>)}</select></label>
            <label>Reminder lead time (hours)<input type="number" min={0} max={720} value={notif.reminderLeadHours} onChange={e => setNotif({ ...notif, reminderLeadHours: Number(e.target.value) })} /></label>
          </div>
          <FormError text={error} />
          <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary">Save notifications</button></div>
        </form>
      )}
    </section>
  );
}
