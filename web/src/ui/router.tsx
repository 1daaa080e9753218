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

export function navigate(to: string) {
  if (location.pathname + location.search !== to) history.pushState(null, '', to);
  dispatchEvent(new Event('taskhub:navigate'));
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return <a href={to} className={className} onClick={e => { if (e.metaKey || e.ctrlKey) return; e.preventDefault(); navigate(to); }}>{children}</a>;
}
