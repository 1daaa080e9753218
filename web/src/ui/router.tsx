// A tiny history-API router.
import { useEffect, useState, type ReactNode } from 'react';

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

/** The current query string ("?…" or ""), kept up to date like usePath. */
export function useSearch(): string {
  const [s, setS] = useState(location.search);
  useEffect(() => {
    const h = () => setS(location.search);
    addEventListener('popstate', h);
    addEventListener('taskhub:navigate', h);
    return () => { removeEventListener('popstate', h); removeEventListener('taskhub:navigate', h); };
  }, []);
  return s;
}

/** A query parameter of the current URL, kept up to date like usePath. */
export function useQueryParam(name: string): string | null {
  const read = () => new URLSearchParams(location.search).get(name);
  const [v, setV] = useState(read);
  useEffect(() => {
    const h = () => setV(read());
    addEventListener('popstate', h);
    addEventListener('taskhub:navigate', h);
    return () => { removeEventListener('popstate', h); removeEventListener('taskhub:navigate', h); };
  }, [name]);
  return v;
}

/** `replace`: no new history entry (e.g. dropping a query parameter that has been acted on). */
export function navigate(to: string, { replace = false } = {}) {
  if (location.pathname + location.search !== to) {
    if (replace) history.replaceState(null, '', to); else history.pushState(null, '', to);
  }
  dispatchEvent(new Event('taskhub:navigate'));
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return <a href={to} className={className} onClick={e => { if (e.metaKey || e.ctrlKey) return; e.preventDefault(); navigate(to); }}>{children}</a>;
}
