// The calendar feed: my tasks' deadlines as an .ics URL (secret, no other sign-in), Copy, and "Make a new link"
// (the old one stops working).
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { useToasts } from '../ui/toasts';

export function CalendarSection() {
  const toasts = useToasts();
  const [url, setUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => {
    api.calendar().then(f => setUrl(f.url), e => toasts.fail("Couldn't load your calendar link", e, 'Reload the page to try again.'));
  }, [toasts]);
  const copy = async () => {
    if (!url) return;
    try { await navigator.clipboard.writeText(url); toasts.show({ kind: 'success', text: 'Calendar link copied' }); }
    catch (e) { field.current?.select(); toasts.fail("Couldn't copy the link", e, 'It is selected: press Ctrl+C (⌘C on a Mac) to copy it.'); }
  };
  const reset = async () => {
    if (!window.confirm('Make a new calendar link? Calendars subscribed to the current one stop updating.')) return;
    setBusy(true);
    try { setUrl((await api.resetCalendar()).url); toasts.show({ kind: 'success', text: 'New calendar link made: the old one no longer works' }); }
    catch (e) { toasts.fail("Couldn't make a new calendar link", e, 'Try again in a moment; the current link still works.'); }
    finally { setBusy(false); }
  };
  return (
    <section className="panel" aria-labelledby="calendar-heading">
      <h2 id="calendar-heading">Calendar</h2>
      <p className="muted small">Your tasks' deadlines as a calendar feed. To subscribe, copy the link and add it in your
        calendar app (Google Calendar: Other calendars → From URL; Outlook: Add calendar → Subscribe from web; Apple
        Calendar: File → New Calendar Subscription). Anyone with the link can read your deadlines: make a new one if it leaks.</p>
      <div className="feed-url">
        <label className="sr-only" htmlFor="calendar-url">Calendar feed URL</label>
        <input id="calendar-url" ref={field} readOnly value={url ?? ''} placeholder={url === null ? 'Loading…' : ''} onFocus={e => e.currentTarget.select()} />
        <button className="btn btn-ghost" disabled={!url} onClick={() => void copy()}>Copy</button>
        <button className="btn btn-ghost" disabled={!url || busy} onClick={() => void reset()}>Make a new link</button>
      </div>
    </section>
  );
}
