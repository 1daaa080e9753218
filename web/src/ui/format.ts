// Formatting: dates (local ↔ UTC), initials.

/** A datetime-local value ("2026-11-23T14:30", local time) → UTC ISO, or null. */
export function localInputToUtc(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return isNaN(d.getTime()) ? null : d.toISOString();
}

/** UTC ISO → datetime-local value in the browser's time zone. */
export function utcToLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fmtDate(iso: string | null | undefined, withTime = true): string {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, withTime ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', year: 'numeric' });
}

export function initials(name: string | null | undefined): string {
  if (!name) return '?';
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  return ((parts[0][0] ?? '') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

/** A short relative time for recent moments ("just now", "5 min ago", "3 h ago", "2 d ago"), else the date. */
export function timeAgo(iso: string, now = Date.now()): string {
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.floor(s / 86_400)} d ago`;
  return fmtDate(iso, false);
}

/** Bytes in words, binary units as file managers show them: "0 B", "999 B", "1.5 KB", "12 KB", "25 MB", "1.2 GB". */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  // one decimal below 10 (1.5 KB), none above (12 KB); never "1024 KB"
  const shown = v < 10 ? Math.round(v * 10) / 10 : Math.round(v);
  if (shown >= 1024 && i < units.length - 1) return `1 ${units[i + 1]}`;
  return `${shown} ${units[i]}`;
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** A deadline in calendar days from today, in the browser's time zone: "today", "tomorrow", "yesterday", "in 3 days",
 *  "5 days ago"; further away (a week or more) the short date ("Dec 2", with the year when it is not this year). */
export function relativeDay(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const day = (x: Date) => Date.UTC(x.getFullYear(), x.getMonth(), x.getDate()) / 86_400_000; // calendar day, DST-proof
  const diff = Math.round(day(d) - day(now));
  if (Math.abs(diff) < 7) return rtf.format(diff, 'day');
  return d.toLocaleDateString(undefined, d.getFullYear() === now.getFullYear() ? { month: 'short', day: 'numeric' } : { month: 'short', day: 'numeric', year: 'numeric' });
}

/** The full date and time, for tooltips next to a relative date: "Fri, Dec 5, 2025, 05:00 PM". */
export function fullDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
