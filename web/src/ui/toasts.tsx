// Toasts (role="alert" for errors, role="status" otherwise) and a polite live region for announcements.
import { createContext, useContext, useRef, useState, type ReactNode } from 'react';
import { failure } from './errors';
import { CloseIcon } from './icons';

export interface Toast { id: number; text: string; kind: 'info' | 'error' | 'success'; action?: { label: string; run: () => void }; ms?: number }
export interface ToastApi {
  show(t: Omit<Toast, 'id'>): number;
  /** An error toast that says what failed, why, and what to do. */
  fail(what: string, error: unknown, todo: string): number;
  dismiss(id: number): void;
  announce(text: string): void;
}
const ToastCtx = createContext<ToastApi>({ show: () => 0, fail: () => 0, dismiss: () => {}, announce: () => {} });
export const useToasts = () => useContext(ToastCtx);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [announcement, setAnnouncement] = useState('');
  const next = useRef(1);
  const show = (t: Omit<Toast, 'id'>) => {
    const id = next.current++;
    setToasts(ts => [...ts.slice(-3), { ...t, id }]);
    setTimeout(() => setToasts(ts => ts.filter(x => x.id !== id)), t.ms ?? (t.kind === 'error' ? 10_000 : 6000));
    return id;
  };
  const apiRef = useRef<ToastApi>({
    show,
    fail: (what, error, todo) => show({ kind: 'error', text: failure(what, error, todo) }),
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
            <button className="icon-btn" aria-label="Dismiss" onClick={() => apiRef.current.dismiss(t.id)}><CloseIcon /></button>
          </div>
        ))}
      </div>
    </ToastCtx.Provider>
  );
}
