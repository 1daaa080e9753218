import { useEffect, useState } from 'react';

/** The colour scheme: follows the system until toggled; returns the effective theme and a toggle. */
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
