import { useEffect, useState } from 'react';
import { api, currentUser, onSessionChange } from './api/client';
import { AuthPage } from './auth/AuthPage';
import { ForgotPage } from './auth/ForgotPage';
import { ResetPage } from './auth/ResetPage';
import { SsoPage } from './auth/SsoPage';
import { BoardPage } from './board/BoardPage';
import { BoardsPage } from './boards/BoardsPage';
import { ReportsPage } from './reports/ReportsPage';
import { SettingsPage } from './settings/SettingsPage';
import { InboxBell } from './inbox/InboxBell';
import { LandingPage } from './landing/LandingPage';
import { HubProvider } from './session';
import { MyTasksPage } from './tasks/MyTasksPage';
import { QuickFind } from './search/QuickFind';
import { Avatar } from './ui/Avatar';
import { Link, navigate, usePath } from './ui/router';
import { BoardSettingsPage } from './boardSettings/BoardSettingsPage';
import { InvitePage } from './invite/InvitePage';
import { safeNext } from './auth/next';
import { NotFoundPage } from './ui/NotFoundPage';
import { useTitle } from './ui/title';
import { useTheme } from './ui/theme';
import { ToastProvider, useToasts } from './ui/toasts';
import { BrandMark, ThemeIcon } from './ui/icons';

/** A page whose tab title is fixed ("Settings · TaskHub"); board pages name their board themselves. */
function Titled({ title, children }: { title: string; children: React.ReactNode }) {
  useTitle(title);
  return <>{children}</>;
}

export function App() {
  return <ToastProvider><Shell /></ToastProvider>;
}

function Shell() {
  const path = usePath();
  const toasts = useToasts();
  const [user, setUser] = useState(currentUser());
  const [theme, toggleTheme] = useTheme();
  useEffect(() => onSessionChange(() => setUser(currentUser())), []);

  const isAuth = ['/login', '/signup', '/forgot-password', '/reset-password', '/sso'].includes(path);
  const [finding, setFinding] = useState(false);
  // Ctrl/Cmd-K anywhere (signed in) opens quick-find; a second press closes it
  useEffect(() => {
    if (!user) return;
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') { e.preventDefault(); setFinding(f => !f); }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [user]);
  const isInvite = path === '/invite';
  const isLanding = !user && path === '/'; // a visitor who is not signed in: what TaskHub is
  useEffect(() => {
    // signed out on a page that needs an account: log in, then come back to it (an email's link, a shared board)
    if (!user && !isAuth && !isInvite && !isLanding) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    if (user && isAuth) navigate(safeNext(new URLSearchParams(location.search).get('next')), { replace: true });
  }, [user, isAuth, isInvite, isLanding]);

  if (!user || isAuth) {
    return (
      <main className={`auth-shell ${isLanding ? 'landing-shell' : ''}`}>
        <button className="icon-btn theme-toggle floating" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}><ThemeIcon dark={theme === 'dark'} /></button>
        {isInvite && !user ? <InvitePage /> : isLanding ? <LandingPage /> : path === '/forgot-password' ? <ForgotPage /> : path === '/reset-password' ? <ResetPage />
          : path === '/sso' ? <SsoPage /> : <AuthPage mode={path === '/signup' ? 'signup' : 'login'} />}
      </main>
    );
  }

  let page;
  let m: RegExpMatchArray | null;
  if ((m = path.match(/^\/boards\/([^/]+)\/reports\/?$/))) page = <ReportsPage boardId={m[1]} />;
  else if ((m = path.match(/^\/boards\/([^/]+)\/settings\/?$/))) page = <BoardSettingsPage key={m[1]} boardId={m[1]} />;
  else if ((m = path.match(/^\/boards\/([^/]+)\/?$/))) page = <BoardPage key={m[1]} boardId={m[1]} />;
  else if (path === '/my-tasks') page = <Titled title="My tasks"><MyTasksPage /></Titled>;
  else if (path === '/settings') page = <Titled title="Settings"><SettingsPage /></Titled>;
  else if (path === '/invite') page = <InvitePage />;
  else if (path === '/' || path === '/boards' || path === '') page = <Titled title="Boards"><BoardsPage /></Titled>;
  else page = <NotFoundPage />;

  const nav = (to: string, label: string, active: boolean) => (
    <Link to={to} className={`nav-link ${active ? 'active' : ''}`}>{label}</Link>
  );
  return (
    <HubProvider key={user.id}>
      <div className="app">
        <SkipLink onBoard={/^\/boards\/[^/]+$/.test(path)} />
        <header className="topbar">
          <Link to="/" className="brand"><BrandMark /> TaskHub</Link>
          <nav aria-label="Main">
            {nav('/', 'Boards', path === '/' || path.startsWith('/boards'))}
            {nav('/my-tasks', 'My tasks', path === '/my-tasks')}
            {nav('/settings', 'Settings', path === '/settings')}
          </nav>
          <div className="topbar-right">
            <button className="btn btn-ghost search-btn" onClick={() => setFinding(true)} aria-keyshortcuts="Control+K Meta+K">Search <kbd aria-hidden="true">Ctrl K</kbd></button>
            <InboxBell />
            <button className="icon-btn" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}><ThemeIcon dark={theme === 'dark'} /></button>
            <Avatar name={user.displayName} id={user.id} size={28} />
            <button className="btn btn-ghost" onClick={() => void api.logout().then(
              () => navigate('/login'),
              e => { navigate('/login'); toasts.fail('Logged out on this device, but the server did not confirm', e, 'Log in and out again to end the session everywhere.'); })}>Log out</button>
          </div>
        </header>
        <main className="main" id="main" tabIndex={-1}>{page}</main>
        {finding && <QuickFind onClose={() => setFinding(false)} boardId={path.match(/^\/boards\/([^/]+)/)?.[1]} />}
      </div>
    </HubProvider>
  );
}

/** The first tab stop: past the top bar (and the board's header and filters) to the first card, or to the page. */
function SkipLink({ onBoard }: { onBoard: boolean }) {
  const skip = (e: React.MouseEvent) => {
    e.preventDefault();
    const target = (onBoard && (document.querySelector('.columns .card') ?? document.querySelector('.columns .column'))) || document.getElementById('main');
    (target as HTMLElement | null)?.focus();
  };
  return <a href="#main" className="skip-link" onClick={skip}>{onBoard ? 'Skip to the board' : 'Skip to content'}</a>;
}
