// Shared UI bits: router, toasts, avatars, dialog, theme.
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { initials } from './sync';

// ---- router (history API) ----
export function usePath(): string {
  const [p, setP] = useState(location.pathname);
  useEffect(() => {
    const h = () => setP(location.pathname);
    addEventListener('popstate', h);
    addEventListener('taskhub:navigate', h);
    return () => { removeEventListener('popstate', h); removeEventListener('taskhub:navigate', h); };
  }, []);
  return p;
}
export function navigate(to: string) {
  if (location.pathname + location.search !== to) history.pushState(null, '', to);
  dispatchEvent(new Event('taskhub:navigate'));
}
export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return <a href={to} className={className} onClick={e => { if (e.metaKey || e.ctrlKey) return; e.preventDefault(); navigate(to); }}>{children}</a>;
}

// ---- toasts + live announcer ----
export interface Toast { id: number; text: string; kind: 'info' | 'error' | 'success'; action?: { label: string; run: () => void }; ms?: number }
interface ToastApi { show(t: Omit<Toast, 'id'>): number; dismiss(id: number): void; announce(text: string): void }
const ToastCtx = createContext<ToastApi>({ show: () => 0, dismiss: () => {}, announce: () => {} });
export const useToasts = () => useContext(ToastCtx);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const next = useRef(1);
  const apiRef = useRef<ToastApi>({
    show(t) {
      const id = next.current++;
      setToasts(ts => [...ts.slice(-3), { ...t, id }]);
      setTimeout(() => setToasts(ts => ts.filter(x => x.id !== id)), t.ms ?? 6000);
      return id;
    },
    dismiss(id) { setToasts(ts => ts.filter(x => x.id !== id)); },
    announce(text) { setAnnouncement(text); },
  });
  return (
    <ToastCtx.Provider value={apiRef.current}>
      {children}
      <div className="sr-only" aria-live="polite" role="status" data-testid="live-region">{announcement}</div>
      <div className="toasts" role="region" aria-label="Notifications">
        {toasts.map(t => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
            <span>{t.text}</span>
            {t.action && <button className="btn btn-ghost" onClick={() => { t.action!.run(); apiRef.current.dismiss(t.id); }}>{t.action.label}</button>}
            <button className="icon-btn" aria-label="Dismiss" onClick={() => apiRef.current.dismiss(t.id)}>×</button>
          </div>
        ))}
      </div>
    </ToastCtx.Provider>
  );
}

// ---- avatar ----
const HUES = [210, 260, 330, 20, 140, 180, 45, 290];
export function Avatar({ name, id, size = 24, title }: { name: string | null | undefined; id?: string | null; size?: number; title?: string }) {
  const key = id ?? name ?? '';
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  const hue = HUES[h % HUES.length];
  return (
    <span className="avatar" title={title ?? name ?? ''} aria-label={title ?? name ?? 'unknown'} role="img"
      style={{ width: size, height: size, fontSize: size * 0.42, background: `hsl(${hue} 55% 48%)` }}>
      {initials(name)}
    </span>
  );
}

// ---- dialog (native <dialog>) ----
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    const onCancel = (e: Event) => { e.preventDefault(); onClose(); };
    d.addEventListener('cancel', onCancel);
    return () => d.removeEventListener('cancel', onCancel);
  }, [onClose]);
  return (
    <dialog ref={ref} className={`dialog ${wide ? 'dialog-wide' : ''}`} aria-label={title} onMouseDown={e => { if (e.target === ref.current) onClose(); }}>
      <div className="dialog-head">
        <h2>{title}</h2>
        <button className="icon-btn" aria-label="Close" onClick={onClose}>×</button>
      </div>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}

// ---- theme ----
export function useTheme(): [string, () => void] {
  const [theme, setTheme] = useState(() => localStorage.getItem('taskhub.theme') ?? 'auto');
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'auto') root.removeAttribute('data-theme'); else root.setAttribute('data-theme', theme);
    localStorage.setItem('taskhub.theme', theme);
  }, [theme]);
  const dark = theme === 'dark' || (theme === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches);
  return [dark ? 'dark' : 'light', () => setTheme(dark ? 'light' : 'dark')];
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return <div className="loading" role="status"><span className="spinner" aria-hidden="true" />{label}</div>;
}

export function fmtDate(iso: string | null | undefined, withTime = true): string {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(undefined, withTime ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', year: 'numeric' });
}
